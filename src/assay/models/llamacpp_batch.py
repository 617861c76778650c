"""Continuous batching for the llama.cpp backend: many requests share the decode steps of one context.

One worker thread owns a llama.cpp context with one KV stream per sequence. Each step it admits
waiting generations into free slots, decodes one token for every running sequence (plus the new prompts,
unless `prompts_alone`) in a single `llama_decode`, samples each sequence with its own sampler, and
frees the slot of each sequence that finished, so the next request takes it at the following step.
Between steps it scores waiting log-likelihood requests, many per decode, in a second context (see
`llamacpp_scoring`).

For answers identical to the sequential path (see `llamacpp_numerics`) the model gives no more slots
than the largest exact step and sets `prompts_alone`: a prompt evaluated in a step of its own is split
into micro-batches as the sequential path splits it, where a prompt beside other tokens is not.

Prompts do not share cells: llama.cpp copies part of a sequence only within one stream, and a shared
(unified) stream shifts each sequence's cells, which changes attention's rounding and so the answers.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from assay.core.errors import ModelRequestError
from assay.core.types import ContinuationScore, GenerationParams
from assay.models.llamacpp_numerics import batch_context, decode
from assay.models.llamacpp_scoring import ScoringJob, ScoringPacker, TokenBatch
from assay.models.llamacpp_sequence import CompletionState, build_sampler, clamp_max_tokens, token_bytes
from assay.models.throughput import tokens_processed

# Decoding uses every core; two models decoding at once would only fight over them.
_DECODE_LOCK = threading.Lock()


@dataclass
class GenerationJob:
    prompt: list[int]
    params: GenerationParams
    stops: tuple[bytes, ...]
    future: Future[CompletionState] = field(default_factory=Future)


@dataclass
class _Running:
    job: GenerationJob
    seq: int
    state: CompletionState
    sampler: Any
    evaluated: int = 0  # prompt tokens whose cells exist
    pending: list[int] = field(default_factory=list)  # tokens to decode at the next step
    output_index: int = -1


class BatchDecoder:
    """The worker that serves one model's requests from `slots` generation sequences."""

    def __init__(self, llm: Any, *, slots: int, n_ctx: int, name: str, prompts_alone: bool = False) -> None:
        import llama_cpp

        self.llm = llm
        self.slots = min(slots, llama_cpp.llama_max_parallel_sequences())
        self.n_ctx = n_ctx  # each request's window, as on the sequential path
        self.name = name
        self.prompts_alone = prompts_alone
        # A unified KV pool would let prompts share cells, but shifts them and changes the rounding.
        self._ctx = batch_context(llm, self.slots, n_ctx)
        self._memory = llama_cpp.llama_get_memory(self._ctx.ctx)
        self._batch = TokenBatch(n_ctx * self.slots, 1)
        self._packer: ScoringPacker | None = None  # made on the first log-likelihood request
        self._vocab = llm._model.vocab
        self._waiting: list[GenerationJob] = []
        self._scoring: list[ScoringJob] = []
        self._running: dict[int, _Running] = {}
        self._cv = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name=f"llama.cpp batch {name}", daemon=True)
        self._thread.start()

    # -- the caller's side ---------------------------------------------------------------------
    def submit_generation(self, job: GenerationJob) -> Future[CompletionState]:
        if len(job.prompt) >= self.n_ctx:
            raise ModelRequestError(
                f"llama.cpp refused the request: Requested tokens ({len(job.prompt)}) exceed "
                f"context window of {self.n_ctx}",
                retryable=False,
            )
        return self._enqueue(job, self._waiting)

    def submit_scoring(self, job: ScoringJob) -> Future[list[ContinuationScore]]:
        return self._enqueue(job, self._scoring)

    def _enqueue(self, job: Any, queue: list[Any]) -> Any:
        with self._cv:
            if self._closed:
                raise ModelRequestError(f"model {self.name!r} is closed", retryable=False)
            queue.append(job)
            self._cv.notify()
        return job.future

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify()
        self._thread.join()
        self._batch.free()
        self._ctx.close()
        if self._packer is not None:
            self._packer.close()

    # -- the worker ----------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._cv:
                while not (self._closed or self._waiting or self._scoring or self._running):
                    self._cv.wait()
                if self._closed:
                    self._fail_all("the model was closed")
                    return
            try:
                if self._scoring:
                    self._score_pack()
                if self._waiting or self._running:
                    self._generation_step()
            except Exception as exc:  # a failed decode fails the requests in it, not the worker
                self._fail_all(f"llama.cpp decode failed: {exc}")

    def _fail_all(self, reason: str) -> None:
        error = ModelRequestError(reason, retryable=False)
        with self._cv:
            jobs: list[Any] = [*self._waiting, *self._scoring, *(r.job for r in self._running.values())]
            self._waiting.clear()
            self._scoring.clear()
        for seq in list(self._running):
            self._release(seq)
        for job in jobs:
            if not job.future.done():
                job.future.set_exception(error)

    def _release(self, seq: int) -> None:
        import llama_cpp

        self._running.pop(seq, None)
        llama_cpp.llama_memory_seq_rm(self._memory, seq, -1, -1)

    def _decode(self) -> None:
        with _DECODE_LOCK:
            decode(self._ctx, self._batch)
        tokens_processed.add(self._batch.size)

    def _admit(self) -> None:
        """Move waiting generations into free slots (each slot's stream holds a whole window)."""
        with self._cv:
            waiting = [j for j in self._waiting if not j.future.cancelled()]
            self._waiting[:] = waiting
            free = [s for s in range(self.slots) if s not in self._running]
            for job in list(waiting):
                if not free:
                    break
                limit = clamp_max_tokens(job.params.max_tokens, len(job.prompt), self.n_ctx)
                self._waiting.remove(job)
                seq = free.pop(0)
                state = CompletionState(
                    prompt=job.prompt, stops=job.stops, max_tokens=limit, window=self.n_ctx
                )
                sampler = build_sampler(self.llm, job.params)
                self._running[seq] = _Running(job, seq, state, sampler)
        for run in self._running.values():
            if run.evaluated == 0 and not run.pending:
                run.pending = list(run.job.prompt)

    def _generation_step(self) -> None:
        self._admit()
        for run in list(self._running.values()):
            if run.job.future.cancelled():  # the caller gave up (e.g. a timeout): free the slot
                self._release(run.seq)
        if not self._running:
            return
        self._compact()
        # In sequence order: llama.cpp cuts a step into micro-batches of consecutive sequence ids (one
        # KV stream each), and every micro-batch reads all the weights again.
        runs = sorted(self._running.values(), key=lambda r: r.seq)
        if self.prompts_alone:
            runs = [r for r in runs if r.evaluated == 0][:1] or runs
        self._batch.clear()
        for run in runs:
            start = run.evaluated
            for offset, token in enumerate(run.pending):
                last = offset == len(run.pending) - 1
                index = self._batch.add(token, start + offset, [run.seq], logits=last)
            run.output_index = index
        self._decode()
        self._sample(runs)

    def _compact(self) -> None:
        """Move the last sequences down into free slots until the running ones hold ids 0..n-1.

        llama.cpp puts only consecutive ids in one micro-batch, so a gap (a finished sequence's slot that
        no waiting request refilled) would cost a pass over the weights per step. The copy moves a whole
        KV stream, its cells where they were, so the sequence's numbers do not change.
        """
        import llama_cpp

        while True:
            free = [s for s in range(self.slots) if s not in self._running]
            top = max(self._running, default=-1)
            if not free or free[0] > top:
                return
            run = self._running.pop(top)
            if run.evaluated:
                llama_cpp.llama_memory_seq_cp(self._memory, top, free[0], -1, -1)
                llama_cpp.llama_memory_seq_rm(self._memory, top, -1, -1)
            run.seq = free[0]
            self._running[run.seq] = run

    def _sample(self, runs: list[_Running]) -> None:
        import llama_cpp

        for run in runs:
            run.evaluated += len(run.pending)
            token = int(run.sampler.sample(self._ctx, run.output_index))
            is_eog = bool(llama_cpp.llama_vocab_is_eog(self._vocab, token))
            piece = b"" if is_eog else token_bytes(self.llm, token, first=not run.state.tokens)
            if run.state.feed(token, piece, is_eog=is_eog):
                self._release(run.seq)
                run.sampler.close()
                if not run.job.future.cancelled():
                    run.job.future.set_result(run.state)
            else:
                run.pending = [token]

    def _score_pack(self) -> None:
        """Score the waiting log-likelihood requests that fit one pack, in one decode."""
        with self._cv:
            self._scoring[:] = [j for j in self._scoring if not j.future.cancelled()]
            waiting = list(self._scoring)
        if self._packer is None:
            self._packer = ScoringPacker(self.llm, n_ctx=self.n_ctx)
        pack = self._packer.take(waiting)
        if not pack:  # the model sends only jobs that fit a pack alone; never spin on one that does not
            waiting[0].future.set_exception(ModelRequestError("too large to pack", retryable=False))
            with self._cv:
                self._scoring.remove(waiting[0])
            return
        with self._cv:
            for job in pack:
                self._scoring.remove(job)
        try:
            with _DECODE_LOCK:
                results = self._packer.score(pack)
        except Exception as exc:  # these jobs have left the queue: fail them here, not in _fail_all
            error = ModelRequestError(f"llama.cpp decode failed: {exc}", retryable=False)
            for job in pack:
                job.future.set_exception(error)
            return
        for job, scores in zip(pack, results, strict=True):
            if not job.future.cancelled():
                job.future.set_result(scores)
