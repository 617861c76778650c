"""Reading a streamed OpenAI-style answer: Server-Sent Events in, pieces of text out.

The wire format is `data: {json}` lines, events separated by a blank line, `data: [DONE]` last; each
event carries one chunk whose first choice holds the new text (`delta.content` for chat completions,
`text` for plain completions). A server may also send an `{"error": ...}` event instead of a chunk.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from assay.core.errors import ModelRequestError
from assay.models.http_errors import error_in_body, one_line

DONE = "[DONE]"


async def sse_data(lines: AsyncIterable[str]) -> AsyncIterator[str]:
    """The data of each event in order; several `data:` lines of one event are joined by newlines.

    Comments (lines starting with `:`, used as keep-alives) and the other fields (event, id, retry)
    carry no text here and are skipped.
    """
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        field, _, value = line.partition(":")
        if field == "data":
            data.append(value.removeprefix(" "))
    if data:  # a last event without its blank line
        yield "\n".join(data)


async def answer_pieces(events: AsyncIterable[str], url: str, *, chat: bool) -> AsyncIterator[str]:
    """The non-empty text pieces of a streamed answer.

    A complete answer has a chunk that names its finish reason (OpenAI, vLLM, TGI, Ollama and
    llama.cpp's servers all send one before `[DONE]`). A stream without it lost the rest of the answer:
    a dropped connection, a server that failed after its headers, or one that cut the stream short to
    serve another request (llama-cpp-python's server ends it with a bare `[DONE]`). That is a retryable
    ModelRequestError like any dropped connection, never a shorter answer.
    """
    finished = False
    async for payload in events:
        if payload.strip() == DONE:
            break
        choice = _first_choice(payload, url)
        if choice is None:
            continue  # e.g. a usage-only chunk
        finished = finished or bool(choice.get("finish_reason"))
        text = (choice.get("delta") or {}).get("content") if chat else choice.get("text")
        if text:
            yield str(text)
    if not finished:
        raise ModelRequestError(f"the stream from {url} ended before the answer did", retryable=True)


def _first_choice(payload: str, url: str) -> dict[str, Any] | None:
    """The first choice of one event's chunk; None for a chunk without choices.

    An event that is not JSON is retryable: the connection or a proxy cut or garbled it, and the
    stream it came in is as good as dropped. JSON of another shape is a server speaking another
    dialect, which answers alike every time, so that is not retried.
    """
    try:
        chunk = json.loads(payload)
    except json.JSONDecodeError:
        raise ModelRequestError(
            f"malformed event in the stream from {url}: {one_line(payload, 80)!r}", retryable=True
        ) from None
    if not isinstance(chunk, dict):
        raise ModelRequestError(f"unexpected event in the stream from {url}: not an object", retryable=False)
    if chunk.get("error"):
        raise error_in_body(chunk["error"], url, what="the server failed mid-stream")
    choices = chunk.get("choices")
    if not choices:
        return None
    if not isinstance(choices, list) or not isinstance(choices[0], dict):
        raise ModelRequestError(f"unexpected chunk shape in the stream from {url}", retryable=False)
    return choices[0]
