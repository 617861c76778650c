"""A small HTTP/1.1 forwarding proxy that can be told to misbehave for the next N requests.

Stdlib asyncio streams only, running in a background thread on a free loopback port. One request per
client connection (the response says `Connection: close`), which keeps the relay simple and real.

Faults: an error status (`fail_next`), a dropped connection (`drop_next`), a delay (`delay_next`), a
canned answer of any status, content type and body, e.g. a proxy's HTML page with 200 (`garble_next`),
and the upstream's real answer cut short with a Content-Length that matches the cut (`truncate_next`).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

_REASONS = {
    200: "OK",
    302: "Found",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


_DEFAULT_BODY = b'{"error": {"message": "injected fault"}}'


@dataclass(frozen=True)
class Fault:
    kind: str  # "status" | "drop" | "delay" | "garble" | "truncate"
    status: int = 503
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = _DEFAULT_BODY
    seconds: float = 0.0
    content_type: str = "application/json"
    keep: float = 1.0  # the fraction of the upstream's body a "truncate" fault passes on


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    fault: str | None


class FaultProxy:
    """Forwards to `upstream` (e.g. http://127.0.0.1:8000; paths pass through unchanged).

    `received` counts requests that reached the proxy, `forwarded` those relayed upstream.
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.port = 0
        self.received = 0
        self.forwarded = 0
        self.requests: list[Seen] = []
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="faultproxy")
        self._ready = threading.Event()

    # -- configuring faults (any thread) -------------------------------------------------------

    def fail_next(
        self, n: int, status: int, *, retry_after: str | None = None, body: bytes | None = None
    ) -> None:
        headers = (("Retry-After", retry_after),) if retry_after is not None else ()
        self._push(
            n, Fault("status", status=status, headers=headers, body=_DEFAULT_BODY if body is None else body)
        )

    def garble_next(
        self,
        n: int,
        body: bytes,
        *,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `n` requests with `body` (a proxy's page, garbage) instead of the upstream's."""
        extra = tuple((headers or {}).items())
        self._push(n, Fault("garble", status=status, headers=extra, body=body, content_type=content_type))

    def truncate_next(self, n: int, keep: float = 0.5) -> None:
        """Relay the next `n` answers with only the first `keep` of their body (at least one byte, never
        all of it), de-chunked, under a Content-Length that matches: a clean end the client accepts."""
        self._push(n, Fault("truncate", keep=keep))

    def drop_next(self, n: int) -> None:
        self._push(n, Fault("drop"))

    def delay_next(self, n: int, seconds: float) -> None:
        self._push(n, Fault("delay", seconds=seconds))

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self.received = self.forwarded = 0
            self.requests.clear()

    def _push(self, n: int, fault: Fault) -> None:
        with self._lock:
            self._faults.extend([fault] * n)

    def _next_fault(self) -> Fault | None:
        with self._lock:
            self.received += 1
            return self._faults.popleft() if self._faults else None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> str:
        """Start serving; return the proxy's root URL (http://127.0.0.1:PORT)."""
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fault proxy did not start")
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> FaultProxy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.close()

    # -- one client connection -----------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head, body = await _read_request(reader)
            if head is None:
                return
            fault = self._next_fault()
            method, path, headers = _parse_head(head)
            with self._lock:
                self.requests.append(Seen(method, path, headers, fault.kind if fault else None))
            if fault is not None and fault.kind == "drop":
                return  # close without a byte of response
            if fault is not None and fault.kind in ("status", "garble"):
                writer.write(_response(fault.status, fault.headers, fault.body, fault.content_type))
                await writer.drain()
                return
            if fault is not None and fault.kind == "delay" and await _client_left(reader, fault.seconds):
                return  # as a real proxy would: nothing reaches the server for a client that gave up
            answer = await self._forward(head, body)
            if fault is not None and fault.kind == "truncate":
                answer = _truncated(answer, fault.keep)
            writer.write(answer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client gave up (e.g. its timeout fired); nothing to tell it
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _forward(self, head: bytes, body: bytes) -> bytes:
        target = urlsplit(self.upstream)
        up_reader, up_writer = await asyncio.open_connection(target.hostname, target.port)
        try:
            up_writer.write(_with_connection_close(head) + body)
            await up_writer.drain()
            raw = await up_reader.read(-1)  # the upstream closes after one response
        finally:
            up_writer.close()
        with self._lock:
            self.forwarded += 1
        response_head, sep, rest = raw.partition(b"\r\n\r\n")
        return _with_connection_close(response_head + sep) + rest if sep else raw


async def _client_left(reader: asyncio.StreamReader, seconds: float) -> bool:
    """Wait `seconds`; True as soon as the client closes its side (it timed out, or was killed), so a
    delayed request never reaches the server later, in the middle of another test's request."""
    closed = asyncio.ensure_future(reader.read(1))  # a request is read whole: only EOF can arrive
    try:
        done, _ = await asyncio.wait({closed}, timeout=seconds)
        return bool(done)
    finally:
        closed.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await closed


async def _read_request(reader: asyncio.StreamReader) -> tuple[bytes | None, bytes]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None, b""
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return head, await reader.readexactly(length) if length else b""


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return method, path, headers


def _with_connection_close(head: bytes) -> bytes:
    """Replace any Connection header with `Connection: close` (head ends with a blank line)."""
    lines = [ln for ln in head.split(b"\r\n") if ln and not ln.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n"


def _truncated(answer: bytes, keep: float) -> bytes:
    """`answer` (head and body) with its body cut to the first `keep` of it, framed by Content-Length."""
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    if any(ln.lower().replace(b" ", b"") == b"transfer-encoding:chunked" for ln in lines):
        body = _dechunked(body)
    kept = body[: min(len(body) - 1, max(1, int(len(body) * keep)))]
    framing = (b"content-length:", b"transfer-encoding:")
    lines = [ln for ln in lines if ln and not ln.lower().startswith(framing)]
    return b"\r\n".join([*lines, b"Content-Length: %d" % len(kept)]) + b"\r\n\r\n" + kept


def _dechunked(body: bytes) -> bytes:
    """The payload of a chunked transfer encoding (chunk extensions and trailers dropped)."""
    out: list[bytes] = []
    rest = body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        out.append(rest[:size])
        rest = rest[size + 2 :]  # the chunk and its CRLF
    return b"".join(out)


def _response(
    status: int, headers: tuple[tuple[str, str], ...], body: bytes, content_type: str = "application/json"
) -> bytes:
    lines = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
