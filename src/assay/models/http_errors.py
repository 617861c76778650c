"""HTTP trouble -> ModelRequestError: which failures are worth another try, and one line that says why.

Shared by the OpenAI-compatible backend's plain calls and its streams, so both judge a failure alike.
"""

from __future__ import annotations

import email.utils
import json
import time

import httpx

from assay.core.errors import ModelRequestError


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
