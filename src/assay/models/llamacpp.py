"""GGUF models in-process through llama.cpp (llama-cpp-python)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from assay.core.errors import AssayError, ModelRequestError, ModelUnsupportedError
from assay.core.protocols import Model
from assay.core.registry import model_backends
from assay.core.types import (
    ContinuationScore,
    GenerateRequest,
    Generation,
    LoglikelihoodRequest,
    LoglikelihoodResult,
    Message,
    ModelSpec,
)
from assay.models.filehash import file_sha256

# llama.cpp keeps one context per model object; calls into it must not overlap.
_CONSTRUCT_LOCK = threading.Lock()


@contextlib.contextmanager
def without_extra_buffer_types() -> Iterator[None]:
    """Load with `use_extra_bufts = False`.

    Weight repacking into extra buffer types segfaults in decode on some x86 machines with the
    default (native) build; turning it off is the documented work-around and costs little on CPU.
    """
    import llama_cpp.llama_cpp as raw

    original = raw.llama_model_default_params

    def patched() -> Any:
        params = original()
        if hasattr(params, "use_extra_bufts"):
            params.use_extra_bufts = False
        return params

    with _CONSTRUCT_LOCK:
        raw.llama_model_default_params = patched
        try:
            yield
        finally:
            raw.llama_model_default_params = original


class LlamaCppModel(Model):
    """A local GGUF file. Generation via llama.cpp's sampler; log-likelihood from full logits."""

    def __init__(
        self,
        name: str,
        path: Path,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        chat_format: str | None = None,
    ) -> None:
        if not path.is_file():
            raise AssayError(f"GGUF file not found: {path}")
        self.name = name
        self.path = path
        self.n_ctx = n_ctx
        self.max_concurrency = 1
        self.identity: dict[str, Any] = {
            "backend": "llama.cpp",
            "file_sha256": file_sha256(path),
            "n_ctx": n_ctx,
        }
        self._n_threads = n_threads or max(1, os.cpu_count() or 1)
        self._chat_format = chat_format
        self._llm: Any = None
        self._lock = threading.Lock()

    def _model(self) -> Any:
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:  # pragma: no cover - a broken install
                raise AssayError(f"llama-cpp-python is not importable: {exc}") from None
            with without_extra_buffer_types():
                try:
                    self._llm = Llama(
                        model_path=str(self.path),
                        n_ctx=self.n_ctx,
                        n_threads=self._n_threads,
                        logits_all=True,
                        verbose=False,
                        seed=0,
                        chat_format=self._chat_format,
                    )
                except ValueError as exc:
                    raise AssayError(f"llama.cpp cannot load {self.path}: {exc}") from None
        return self._llm

    async def generate(self, request: GenerateRequest) -> Generation:
        return await asyncio.to_thread(self._generate_sync, request)

    async def loglikelihood(self, request: LoglikelihoodRequest) -> LoglikelihoodResult:
        return await asyncio.to_thread(self._loglikelihood_sync, request)

    async def aclose(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None

    def _chat_tokens(self, llm: Any, messages: tuple[Message, ...]) -> list[int]:
        text = render_chat_template(llm, messages, self.name)
        tokens = llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)
        bos = llm.token_bos()
        # A template that writes the BOS itself must not get a second one from the tokenizer.
        if len(tokens) > 1 and tokens[0] == bos and tokens[1] == bos:
            tokens = tokens[1:]
        return list(tokens)

    def _generate_sync(self, request: GenerateRequest) -> Generation:
        with self._lock:
            try:
                out = self._decode(self._model(), request, stream=False)
            except ValueError as exc:  # e.g. prompt longer than the context window
                raise refused(exc) from None
        text = out["choices"][0]["message"]["content"] if request.is_chat else out["choices"][0]["text"]
        usage = out.get("usage") or {}
        return Generation(
            text=text or "",
            finish_reason=out["choices"][0].get("finish_reason"),
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
        )

    async def stream(self, request: GenerateRequest) -> AsyncIterator[str]:
        """`generate`'s text in pieces as llama.cpp decodes it (same lock, same sampling). A consumer
        that stops early stops the decoding; closing the stream returns once the decoding has stopped."""
        loop = asyncio.get_running_loop()
        pieces: asyncio.Queue[str | Exception | None] = asyncio.Queue()
        stop = threading.Event()

        def emit(item: str | Exception | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening
                loop.call_soon_threadsafe(pieces.put_nowait, item)

        worker = asyncio.ensure_future(asyncio.to_thread(self._stream_sync, request, emit, stop))
        try:
            while (item := await pieces.get()) is not None:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            stop.set()
            await worker

    def _stream_sync(
        self, request: GenerateRequest, emit: Callable[[str | Exception | None], None], stop: threading.Event
    ) -> None:
        """Decode in this worker thread, handing each piece (then an error, if any, then None) to `emit`."""
        try:
            with self._lock:
                for chunk in self._decode(self._model(), request, stream=True):
                    if stop.is_set():
                        break
                    choice = chunk["choices"][0]
                    piece = (choice.get("delta") or {}).get("content") if request.is_chat else choice["text"]
                    if piece:
                        emit(piece)
        except ValueError as exc:  # raised by the first step of decoding, as in generate
            emit(refused(exc))
        except Exception as exc:  # raised on the awaiting side
            emit(exc)
        finally:
            emit(None)

    def _decode(self, llm: Any, request: GenerateRequest, *, stream: bool) -> Any:
        """llama.cpp's completion (a finished answer, or an iterator of chunks when `stream`)."""
        p = request.params
        sampling: dict[str, Any] = dict(
            max_tokens=p.max_tokens,
            temperature=p.temperature,
            top_p=p.top_p,
            stop=list(p.stop) or None,
            seed=p.seed,
            stream=stream,
        )
        if p.temperature == 0:
            sampling["top_k"] = 1  # greedy, independent of the sampler's other defaults
        if request.messages is not None:
            return llm.create_chat_completion(messages=chat_messages(request.messages), **sampling)
        return llm.create_completion(request.prompt, **sampling)

    def _loglikelihood_sync(self, request: LoglikelihoodRequest) -> LoglikelihoodResult:
        with self._lock:
            llm = self._model()
            if request.messages is not None:
                ctx_tokens = self._chat_tokens(llm, request.messages)
                continuations = request.continuations
            else:
                context, continuations = split_trailing_space(request.context, request.continuations)
                ctx_tokens = llm.tokenize(context.encode("utf-8"), add_bos=True, special=False)
                if not ctx_tokens and llm.token_bos() >= 0:
                    # Nothing to predict the first token from (a model that adds no BOS): give it one.
                    ctx_tokens = [llm.token_bos()]
            conts = [llm.tokenize(c.encode("utf-8"), add_bos=False, special=False) for c in continuations]
            longest = max((len(c) for c in conts), default=0)
            if len(ctx_tokens) + longest > self.n_ctx:
                raise ModelRequestError(
                    f"context of {len(ctx_tokens) + longest} tokens exceeds the "
                    f"model's window of {self.n_ctx}",
                    retryable=False,
                )
            # Evaluate the shared context once; each choice then only pays for its own tokens.
            llm.reset()
            llm.eval(ctx_tokens)
            evaluated = len(ctx_tokens)
            scores = []
            for tokens in conts:
                llm.n_tokens = len(ctx_tokens)
                llm.eval(tokens)
                evaluated += len(tokens)
                start = len(ctx_tokens) - 1
                logits = np.asarray(llm.scores[start : start + len(tokens)], dtype=np.float64)
                scores.append(score_tokens(logits, tokens, per_token=request.per_token))
            llm.reset()  # the next generation must not trust a context we rewound by hand
        return LoglikelihoodResult(scores=tuple(scores), tokens_evaluated=evaluated)


def render_chat_template(llm: Any, messages: tuple[Message, ...], name: str) -> str:
    """The messages through the chat template stored in the GGUF, with the assistant turn opened."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = (llm.metadata or {}).get("tokenizer.chat_template")
    if not template:
        raise ModelUnsupportedError(
            f"model {name!r} has no chat template in its GGUF; use --prompt-mode completion"
        )

    def token_text(token: int) -> str:
        return llm.detokenize([token], special=True).decode("utf-8", errors="replace") if token >= 0 else ""

    formatter = Jinja2ChatFormatter(
        template=template,
        eos_token=token_text(llm.token_eos()),
        bos_token=token_text(llm.token_bos()),
        add_generation_prompt=True,
    )
    return str(formatter(messages=chat_messages(messages)).prompt)


def chat_messages(messages: tuple[Message, ...]) -> list[Any]:
    """Messages as llama-cpp-python takes them (its own TypedDicts; plain dicts of the same shape)."""
    return [{"role": m.role, "content": m.content} for m in messages]


def refused(exc: ValueError) -> ModelRequestError:
    """llama.cpp's ValueError for a request it will not run (e.g. longer than the context window)."""
    return ModelRequestError(f"llama.cpp refused the request: {exc}", retryable=False)


def split_trailing_space(context: str, continuations: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """Move the context's trailing spaces onto each continuation, so "Answer: " + "B" tokenises as " B"."""
    stripped = context.rstrip(" ")
    moved = context[len(stripped) :]
    return stripped, tuple(moved + c for c in continuations)


def score_tokens(logits: np.ndarray, tokens: list[int], *, per_token: bool = False) -> ContinuationScore:
    """Sum of log-softmax at each continuation token; greedy if each was the arg-max. With `per_token`,
    also each token's log-probability and the mean and spread of log p under the model's distribution
    at that position (what Min-K%++ normalises by)."""
    if not tokens:
        return ContinuationScore(logprob=0.0, num_tokens=0, is_greedy=True)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    idx = np.arange(len(tokens))
    chosen = log_probs[idx, tokens]
    greedy = bool(np.all(log_probs.argmax(axis=1) == np.asarray(tokens)))
    if not per_token:
        return ContinuationScore(logprob=float(chosen.sum()), num_tokens=len(tokens), is_greedy=greedy)
    probs = np.exp(log_probs)
    means = (probs * log_probs).sum(axis=1)
    stds = np.sqrt(np.maximum((probs * np.square(log_probs - means[:, None])).sum(axis=1), 0.0))
    return ContinuationScore(
        logprob=float(chosen.sum()),
        num_tokens=len(tokens),
        is_greedy=greedy,
        token_logprobs=tuple(float(v) for v in chosen),
        token_means=tuple(float(v) for v in means),
        token_stds=tuple(float(v) for v in stds),
    )


@model_backends.register("llama.cpp")
def build_llamacpp(spec: ModelSpec) -> LlamaCppModel:
    path = spec.arg("path")
    if not path:
        raise AssayError(
            f"model {spec.name!r}: the llama.cpp backend needs a GGUF path (llama.cpp:/path/x.gguf)"
        )
    return LlamaCppModel(
        spec.name,
        Path(path).expanduser(),
        n_ctx=int(spec.arg("n_ctx", 4096)),
        # Threads change speed, not answers (each row of a product is one thread's work).
        n_threads=int(spec.arg("n_threads")) if spec.arg("n_threads") else None,
        chat_format=spec.arg("chat_format"),
    )
