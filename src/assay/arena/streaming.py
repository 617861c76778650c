"""Token streaming for arena answers, per backend; a backend without an adapter answers in one piece.

The `Model` protocol has no streaming call yet, so the built-in llama.cpp backend gets an adapter here
(it drives the same llama.cpp object, under the same lock, with the same greedy settings).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

from assay.core.types import GenerateRequest

Streamer = Callable[[Any, GenerateRequest], AsyncIterator[str]]


def streamer_for(model: Any) -> Streamer | None:
    if hasattr(model, "stream"):  # a backend that streams by itself wins
        return lambda m, request: m.stream(request)  # type: ignore[no-any-return]
    if type(model).__name__ == "LlamaCppModel" and hasattr(model, "_model") and hasattr(model, "_lock"):
        return _llamacpp_stream
    return None


async def _llamacpp_stream(model: Any, request: GenerateRequest) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | BaseException | None] = asyncio.Queue()
    stop = threading.Event()  # the visitor left: stop decoding

    def run() -> None:
        p = request.params
        messages = [{"role": m.role, "content": m.content} for m in request.messages or ()]
        try:
            with model._lock:
                llm = model._model()
                chunks = llm.create_chat_completion(
                    messages=messages,
                    max_tokens=p.max_tokens,
                    temperature=p.temperature,
                    top_p=p.top_p,
                    seed=p.seed,
                    stop=list(p.stop) or None,
                    stream=True,
                    **({"top_k": 1} if p.temperature == 0 else {}),
                )
                for chunk in chunks:
                    if stop.is_set():
                        break
                    delta = chunk["choices"][0].get("delta", {}).get("content")
                    if delta:
                        loop.call_soon_threadsafe(queue.put_nowait, delta)
        except BaseException as exc:  # handed to the awaiting side, raised there
            loop.call_soon_threadsafe(queue.put_nowait, exc)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    try:
        while (item := await queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
