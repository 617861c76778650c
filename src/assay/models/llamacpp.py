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
from assay.core.flags import parse_flag
from assay.core.protocols import Model
from assay.core.registry import model_backends
from assay.core.types import (
    GenerateRequest,
    Generation,
    LoglikelihoodRequest,
    LoglikelihoodResult,
    Message,
    ModelSpec,
)
from assay.models.filehash import file_sha256
from assay.models.llamacpp_batch import BatchDecoder, GenerationJob
from assay.models.llamacpp_numerics import probe_kernels
from assay.models.llamacpp_scoring import ScoringJob, fits_a_pack
from assay.models.llamacpp_sequence import score_tokens
from assay.models.throughput import tokens_processed

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


# The batched context keeps a whole KV window per sequence, so a model whose window is large gets fewer
# sequences than `DEFAULT_SEQUENCES` (an 8B model's 4096-token f16 window alone is 0.5 GiB).
KV_BUDGET_BYTES = 2 << 30


def kv_bytes_per_token(llm: Any) -> int:
    """The f16 keys and values one token leaves in every layer (an estimate: head size taken as the
    embedding width over the heads, which most architectures use)."""
    import llama_cpp

    model = llm._model.model
    head_size = llama_cpp.llama_model_n_embd(model) // max(1, llama_cpp.llama_model_n_head(model))
    per_layer = 2 * llama_cpp.llama_model_n_head_kv(model) * head_size * 2  # keys and values, 2 bytes each
    return int(llama_cpp.llama_model_n_layer(model) * per_layer)


def affordable_sequences(wanted: int, window_bytes: int, budget: int) -> int:
    """At most `wanted` sequences whose windows fit the budget, and at least one."""
    return max(1, min(wanted, budget // max(1, window_bytes)))


# Sequences decoded together by default: on a CPU throughput grows up to ~16 per context, then
# flattens (2 threads, bench/llamacpp_ceiling.py: Qwen2.5-0.5B 27 tokens/s for 1, 43-51 for 8, 53-64
# for 16, 57 for 32; SmolLM2-135M 89, 135, 172, 167). A model with a large KV window gets fewer.
DEFAULT_SEQUENCES = 16


class LlamaCppModel(Model):
    """A local GGUF file. Generation via llama.cpp's sampler; log-likelihood from full logits.

    With `n_seq` > 1 (the default) concurrent requests share decode steps in one context
    (`BatchDecoder`); `n_seq=1` keeps the one-at-a-time path. By default (`exact`) batched answers are
    the sequential ones byte for byte: the context gets no more sequences than this model's largest
    step that llama.cpp computes as if each sequence were alone (probed at load; Qwen2.5-0.5B's Q5_0/
    Q8_0 weights switch kernel at 8 tokens, SmolLM2's Q4_1 not up to 32), and each prompt is evaluated
    in a step of its own. `exact=false` lets steps grow to `n_seq` for throughput; answers then depend
    on what else is decoded (GSM8K, 100 questions: 49 byte-identical on qwen2.5-coder-0.5b at 8 per
    step; scores within a point), so such responses are cached apart. Log-likelihood requests are
    batched too, their scores the sequential ones bit for bit (`llamacpp_exact_scoring`) in either mode.
    """

    def __init__(
        self,
        name: str,
        path: Path,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        chat_format: str | None = None,
        n_seq: int | None = None,
        exact: bool = True,
        pack_scores: bool = False,
    ) -> None:
        if not path.is_file():
            raise AssayError(f"GGUF file not found: {path}")
        self.name = name
        self.path = path
        self.n_ctx = n_ctx
        self.n_seq = max(1, n_seq if n_seq is not None else DEFAULT_SEQUENCES)
        self._n_seq_given = n_seq is not None  # a number the user chose is kept, whatever its memory
        self.max_concurrency = self.n_seq  # the engine keeps every slot busy
        self.exact = exact
        self.pack_scores = pack_scores
        self.identity: dict[str, Any] = {
            "backend": "llama.cpp",
            "file_sha256": file_sha256(path),
            "n_ctx": n_ctx,
        }
        if not exact and self.n_seq > 1:  # answers that depend on the batch are not the exact ones
            self.identity["exact"] = False
        if pack_scores and self.n_seq > 1:  # nor are packed scores
            self.identity["pack_scores"] = True
        self._n_threads = n_threads or max(1, os.cpu_count() or 1)
        self._chat_format = chat_format
        self._llm: Any = None
        self._batcher: BatchDecoder | None = None
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

    def _decoder(self) -> BatchDecoder:
        with self._lock:
            if self._batcher is None:
                llm = self._model()
                slots = self.n_seq
                if not self._n_seq_given:
                    slots = affordable_sequences(slots, self.n_ctx * kv_bytes_per_token(llm), KV_BUDGET_BYTES)
                kernels = probe_kernels(llm, slots)
                self._batcher = BatchDecoder(
                    llm,
                    slots=kernels.rows if self.exact else slots,
                    n_ctx=self.n_ctx,
                    name=self.name,
                    prompts_alone=self.exact,
                    kernels=kernels,
                    pack_scores=self.pack_scores,
                    scoring_cells=KV_BUDGET_BYTES // kv_bytes_per_token(llm),
                )
            return self._batcher

    async def generate(self, request: GenerateRequest) -> Generation:
        if self.n_seq == 1 or (request.is_chat and self._chat_format is not None):
            return await asyncio.to_thread(self._generate_sync, request)
        decoder, job = await asyncio.to_thread(self._generation_job, request)  # loads the model off the loop
        if job is None:
            return await asyncio.to_thread(self._generate_sync, request)
        state = await asyncio.wrap_future(decoder.submit_generation(job))
        return Generation(
            text=state.answer_text(),
            finish_reason=state.finish_reason,
            prompt_tokens=len(state.prompt),
            completion_tokens=len(state.tokens),
        )

    def _generation_job(self, request: GenerateRequest) -> tuple[BatchDecoder, GenerationJob | None]:
        """The decoder, and the prompt tokens and stop strings llama-cpp-python's completion would use
        (None: an empty prompt, which only the sequential path handles)."""
        decoder = self._decoder()
        llm = decoder.llm
        stops = list(request.params.stop)
        if request.messages is not None:
            text = render_chat_template(llm, request.messages, self.name)
            prompt = list(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))
            stops.append(llm._model.token_get_text(llm.token_eos()))  # the chat handler stops there too
        elif request.prompt:
            prompt = completion_tokens(llm, request.prompt)
        else:
            return decoder, None
        return decoder, GenerationJob(
            prompt=prompt,
            params=request.params,
            stops=tuple(s.encode("utf-8") for s in stops),
        )

    async def loglikelihood(self, request: LoglikelihoodRequest) -> LoglikelihoodResult:
        # Batched, a request's scores are the sequential path's bit for bit (`llamacpp_exact_scoring`).
        # Packing (`pack_scores`: a context and its continuations in one decode, several requests'
        # continuations together) is faster still but moves some scores by ~0.01 nats: opt-in.
        if self.n_seq == 1 or (self.pack_scores and request.per_token):
            return await asyncio.to_thread(self._loglikelihood_sync, request)
        decoder, job = await asyncio.to_thread(self._scoring_job, request)  # loads the model off the loop
        if not job.context or (self.pack_scores and not fits_a_pack(job, self.n_ctx)):
            return await asyncio.to_thread(self._loglikelihood_sync, request)
        scores = await asyncio.wrap_future(decoder.submit_scoring(job))
        evaluated = job.cells if self.pack_scores else job.sequential_tokens
        return LoglikelihoodResult(scores=tuple(scores), tokens_evaluated=evaluated)

    def _scoring_job(self, request: LoglikelihoodRequest) -> tuple[BatchDecoder, ScoringJob]:
        decoder = self._decoder()
        ctx_tokens, conts = self._scoring_tokens(decoder.llm, request)
        return decoder, ScoringJob(context=ctx_tokens, continuations=conts, per_token=request.per_token)

    async def aclose(self) -> None:
        batcher, self._batcher = self._batcher, None
        if batcher is not None:
            await asyncio.to_thread(batcher.close)
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
        tokens_processed.add(usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0))
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
        """llama.cpp's completion (a finished answer, or an iterator of chunks when `stream`).

        Reset first: llama-cpp-python would otherwise keep the cells of the previous request's common
        prefix and evaluate only the rest (a repeated prompt: its last token alone), in steps of
        another size, whose kernels change the logits; the same greedy request then answered
        differently the second time (GSM8K question 1 on qwen2.5-coder-0.5b).
        """
        llm.reset()
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

    def _scoring_tokens(self, llm: Any, request: LoglikelihoodRequest) -> tuple[list[int], list[list[int]]]:
        """The context's tokens and each continuation's; refuse what does not fit the window."""
        if request.messages is not None:
            ctx_tokens = self._chat_tokens(llm, request.messages)
            continuations = request.continuations
        else:
            context, continuations = split_trailing_space(request.context, request.continuations)
            ctx_tokens = list(llm.tokenize(context.encode("utf-8"), add_bos=True, special=False))
            if not ctx_tokens and llm.token_bos() >= 0:
                # Nothing to predict the first token from (a model that adds no BOS): give it one.
                ctx_tokens = [llm.token_bos()]
        conts = [list(llm.tokenize(c.encode("utf-8"), add_bos=False, special=False)) for c in continuations]
        longest = max((len(c) for c in conts), default=0)
        if len(ctx_tokens) + longest > self.n_ctx:
            raise ModelRequestError(
                f"context of {len(ctx_tokens) + longest} tokens exceeds the model's window of {self.n_ctx}",
                retryable=False,
            )
        return ctx_tokens, conts

    def _loglikelihood_sync(self, request: LoglikelihoodRequest) -> LoglikelihoodResult:
        with self._lock:
            llm = self._model()
            ctx_tokens, conts = self._scoring_tokens(llm, request)
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
        tokens_processed.add(evaluated)
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


def completion_tokens(llm: Any, prompt: str) -> list[int]:
    """A completion prompt's tokens exactly as llama-cpp-python's `create_completion` builds them."""
    model = llm._model
    bos, cls, sep = llm.token_bos(), model.token_cls(), model.token_sep()
    first = [cls if cls != -1 else bos] if model.add_bos_token() else []
    last = [sep if sep != -1 else llm.token_eos()] if (model.add_eos_token() or sep != -1) else []
    body = list(llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))
    return [t for t in first if t != -1] + body + last


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
        n_seq=sequences_arg(spec),
        exact=parse_flag(spec.arg("exact", True), f"model {spec.name!r}: exact"),
        pack_scores=parse_flag(spec.arg("pack_scores", False), f"model {spec.name!r}: pack_scores"),
    )


def sequences_arg(spec: ModelSpec) -> int | None:
    """`n_seq=N` sequences decoded together; `batch=false` is `n_seq=1` (one request at a time)."""
    if not parse_flag(spec.arg("batch", True), f"model {spec.name!r}: batch"):
        return 1
    raw = spec.arg("n_seq")
    if raw is None:
        return None
    try:
        n_seq = int(raw)
    except ValueError:
        raise AssayError(f"model {spec.name!r}: n_seq must be a whole number, not {raw!r}") from None
    if n_seq < 1:
        raise AssayError(f"model {spec.name!r}: n_seq must be at least 1, not {n_seq}")
    return n_seq
