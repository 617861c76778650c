"""HTTP trouble -> ModelRequestError: which failures are worth another try, and one line that says why.

Shared by the OpenAI-compatible backend's plain calls and its streams, so both judge a failure alike.
A success status does not make a good answer: a body that is not the JSON asked for (an HTML page from
a proxy, an answer cut short, bytes garbled in transit) is as transient as a 5xx and is retried like one;
an error the server states in its body is judged by its own status code or type, like an HTTP status.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from typing import Any

import httpx

from assay.core.errors import ModelRequestError

# Error types (OpenAI's and those of servers that copy its shape) that say "try again later".
_TRANSIENT_ERROR_TYPES = frozenset({"server_error", "rate_limit_error", "overloaded_error", "timeout_error"})
# What may follow the point where a JSON parser gave up when the document was only cut short.
_CUT_TOKEN = re.compile(r"[\w.+-]*")


def retryable_status(status: int) -> bool:
    """Timeouts, rate limits and server errors pass; a request the server rejected would fail again."""
    return status in (408, 429) or status >= 500


def one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _server_message(response: httpx.Response) -> str:
    """The server's own explanation: OpenAI's {"error": {"message"}}, FastAPI's {"detail"}, or raw text."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return one_line(response.text, 160)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return one_line(str(error["message"]), 160)
        for key in ("error", "detail", "message"):
            if body.get(key):
                return one_line(str(body[key]), 160)
    return one_line(json.dumps(body), 160)


def error_from_response(
    response: httpx.Response, url: str, *, model: str, api_key_env: str
) -> ModelRequestError:
    status = response.status_code
    if retryable_status(status):
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        reason = f"HTTP {status} from {url}: {_server_message(response)}"
        return ModelRequestError(
            one_line(reason, 300), retryable=True, retry_after=retry_after, status=status
        )
    if status in (401, 403):
        reason = f"authentication failed (HTTP {status}) at {url}: check the API key in ${api_key_env}"
    elif status == 404:
        reason = f"not found (HTTP 404) at {url}: check the model name {model!r} and the base URL"
    else:
        reason = f"server rejected the request (HTTP {status}) at {url}: {_server_message(response)}"
    return ModelRequestError(one_line(reason, 300), retryable=False, status=status)


def error_from_transport(exc: httpx.TransportError, url: str, timeout: float) -> ModelRequestError:
    """Network trouble is always worth another try: refused, DNS, dropped, timed out."""
    detail = one_line(str(exc), 120) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        reason = f"timed out after {timeout:g}s waiting for {url}"
    elif isinstance(exc, httpx.ConnectError):
        reason = f"cannot connect to {url}: {detail}"
    elif isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        reason = f"connection to {url} dropped: {detail}"
    else:
        reason = f"network error talking to {url}: {detail}"
    return ModelRequestError(reason, retryable=True)


def error_in_body(error: Any, url: str, *, what: str) -> ModelRequestError:
    """An `{"error": ...}` object in a body whose status said success (a whole answer, or one event of a
    stream). Its `code`, when an HTTP status, or its `type` decides; an error that says neither is taken
    at its word, as a request the server refuses, and not retried."""
    detail = error if isinstance(error, dict) else {"message": error}
    code = detail.get("code")
    status = int(code) if isinstance(code, int) or (isinstance(code, str) and code.isdigit()) else None
    transient_type = detail.get("type") in _TRANSIENT_ERROR_TYPES
    retryable = (status is not None and retryable_status(status)) or transient_type
    message = one_line(str(detail.get("message") or detail), 160)
    return ModelRequestError(one_line(f"{what} at {url}: {message}", 300), retryable=retryable, status=status)


def bad_answer(what: str, response: httpx.Response, url: str) -> ModelRequestError:
    """A success status without the answer: `what` was wrong, then the content type, size and first
    characters, enough to tell a proxy's page from a cut answer. Retryable: a proxy's login or error
    page, an answer cut short or bytes garbled on the way are gone on the next try, and if they are
    not, the tries are bounded and the next run fills the gap."""
    content_type = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    reason = f"{what} from {url} (HTTP {response.status_code}, {content_type}, {len(response.content)} bytes)"
    if response.content:
        reason += f": {one_line(response.text, 80)!r}"
    return ModelRequestError(one_line(reason, 300), retryable=True, status=response.status_code)


def unreadable_body(response: httpx.Response, url: str) -> ModelRequestError:
    """A success status whose body is not JSON: says whether it is a page, cut short, or garbage."""
    return bad_answer(_what_the_body_is(response), response, url)


def _what_the_body_is(response: httpx.Response) -> str:
    text = response.text.strip()
    if not text:
        return "empty body"
    if "html" in response.headers.get("content-type", "").lower() or text.startswith("<"):
        return "HTML page instead of JSON"
    if not text.startswith(("{", "[")):
        return "non-JSON body"
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        # The parser stopped at the end, in a word or number cut short ('nu', '0.'), or in a string that
        # never closed: the rest of the document is missing rather than wrong.
        if exc.msg.startswith("Unterminated string") or _CUT_TOKEN.fullmatch(text[exc.pos :]):
            return "truncated JSON"
    return "malformed JSON"


def redirected(response: httpx.Response, url: str) -> ModelRequestError:
    """A redirect is configuration, not bad luck (often to a proxy's login page): the next try goes the
    same way, so it is not retried (httpx does not follow redirects, and a POST should not be resent)."""
    location = response.headers.get("location") or "an address it does not name"
    status = response.status_code
    reason = f"redirected (HTTP {status}) from {url} to {location}: set base_url to the final address"
    return ModelRequestError(one_line(reason, 300), retryable=False, status=response.status_code)
