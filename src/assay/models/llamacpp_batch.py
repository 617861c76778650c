"""Continuous batching for the llama.cpp backend: many requests share the decode steps of one context.

One worker thread owns a llama.cpp context with one KV stream per sequence. Each step it admits
waiting generations into free slots, decodes one token for every running sequence (plus the new prompts,
unless `prompts_alone`) in a single `llama_decode`, samples each sequence with its own sampler, and
frees the slot of each sequence that finished, so the next request takes it at the following step.
Between steps it scores waiting log-likelihood requests in a second context: exactly as the sequential
path scores them (`llamacpp_exact_scoring`, the default) or packed many per decode (`llamacpp_scoring`,
`pack_scores`).

For answers identical to the sequential path (see `llamacpp_numerics`) the model gives no more slots
than the largest exact step and sets `prompts_alone`: a prompt evaluated in a step of its own is split
into micro-batches as the sequential path splits it, where a prompt beside other tokens is not.

Prompts that start alike (a chat template's system turn, few-shot examples) share their first cells: a
new prompt copies them from a running sequence's stream, or from a prefix evaluated once in a stream
of its own for the prompts admitted together (llama.cpp copies a whole stream, cells in place), cut
only where no step changes kind (`llamacpp_prefix`). A shared (unified) stream would save the
copies, but shifts each sequence's cells, which changes attention's rounding and so the answers.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from assay.core.errors import ModelRequestError
from assay.core.types import ContinuationScore, GenerationParams
from assay.models.llamacpp_exact_scoring import ExactScorer
from assay.models.llamacpp_numerics import Kernels, batch_context, decode
from assay.models.llamacpp_prefix import longest_exact_cut, pieces, shared_prefix
from assay.models.llamacpp_scoring import ScoringJob, ScoringPacker, TokenBatch
from assay.models.llamacpp_sequence import CompletionState, build_sampler, clamp_max_tokens, token_bytes
from assay.models.throughput import tokens_processed

# Fewer shared prompt tokens are evaluated again rather than copied: llama.cpp copies a whole KV stream
# (a 4096-token window of SmolLM2-135M is ~90 MB), which costs about what a few dozen prompt tokens do.
_WORTH_COPYING = 32
# Decoding uses every core; two models decoding at once would only fight over them.
_DECODE_LOCK = threading.Lock()


def settle(future: Future[Any], result: Any = None, *, error: BaseException | None = None) -> None:
    """Give a request its answer or error, unless its caller gave up (a cancelled future takes none)."""
    if future.done() and not future.cancelled():  # settled already (only this worker settles)
        return
    if not future.set_running_or_notify_cancel():  # a check-then-set would race the caller's cancel
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


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
    evaluated: int = 0  # tokens whose cells exist
    pending: list[int] = field(default_factory=list)  # tokens still to decode
    feeding: int = 0  # of which this step decodes the first `feeding`
    output_index: int = -1
    started: bool = False  # its prompt has begun: cells copied from a shared prefix, the rest pending

    @property
    def in_prompt(self) -> bool:
        return self.evaluated < len(self.job.prompt)


class BatchDecoder:
    """The worker that serves one model's requests from `slots` generation sequences."""

    def __init__(
        self,
        llm: Any,
        *,
        slots: int,
        n_ctx: int,
        name: str,
        prompts_alone: bool = False,
        kernels: Kernels | None = None,
        pack_scores: bool = False,
        scoring_cells: int = 1 << 20,
    ) -> None:
        import llama_cpp

        self.llm = llm
        self.slots = min(slots, llama_cpp.llama_max_parallel_sequences() - 1)  # one more: the prefix
        self.n_ctx = n_ctx  # each request's window, as on the sequential path
        self.name = name
        self.prompts_alone = prompts_alone
        self.kernels = kernels or Kernels(rows=1, least_cut=0, all_outputs=True)  # probed by the model
        self.pack_scores = pack_scores
        self.scoring_cells = scoring_cells  # KV cells the log-likelihood context may take
        self.n_batch = int(llm.n_batch)  # the sequential path evaluates a prompt in pieces this long
        # The last stream holds the prompt prefix being shared (sequence id `slots`).
        self._prefix_seq = self.slots
        self._prefix: list[int] = []
        self._least = self.kernels.least_cut
        self._ctx = batch_context(llm, self.slots + 1, n_ctx)
        self._memory = llama_cpp.llama_get_memory(self._ctx.ctx)
        self._batch = TokenBatch(n_ctx * self.slots, 1)
        self._scorer: ExactScorer | ScoringPacker | None = None  # made on the first log-likelihood request
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
        if self._scorer is not None:
            self._scorer.close()

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
            settle(job.future, error=error)

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

    def _start(self, runs: list[_Running]) -> None:
        """Begin these prompts: copy the longest exact start any stream holds, the rest to decode.

        Started only when first decoded (with `prompts_alone`, after the prompts before them), so a
        prompt can copy from one that was evaluated just before it."""
        import llama_cpp

        with self._cv:
            queued = [j.prompt for j in self._waiting]
        unstarted = [r.job.prompt for r in self._running.values() if not r.started]
        self._hold_prefix(unstarted + queued, runs)
        for run in runs:
            source, length = self._best_source(run.job.prompt)
            if length:
                llama_cpp.llama_memory_seq_cp(self._memory, source, run.seq, -1, -1)
                llama_cpp.llama_memory_seq_rm(self._memory, run.seq, length, -1)
                run.evaluated = length
            run.pending = run.job.prompt[run.evaluated :]
            run.started = True

    def _best_source(self, prompt: list[int]) -> tuple[int, int]:
        """The stream whose cells give the prompt its longest exact start, and how many tokens: the
        held prefix, or a running sequence's evaluated prompt (cut as `llamacpp_prefix` allows)."""
        sources = [(self._prefix_seq, self._prefix)] if self._prefix else []
        sources += [(r.seq, r.job.prompt[: r.evaluated]) for r in self._running.values() if r.evaluated]
        best = (-1, 0)
        for seq, tokens in sources:
            length = longest_exact_cut(
                prompt, tokens, least=self._least, n_batch=self.n_batch, shortest=_WORTH_COPYING
            )
            if length > best[1]:
                best = (seq, length)
        return best

    def _hold_prefix(self, prompts: list[list[int]], runs: list[_Running]) -> None:
        """Evaluate, in the prefix stream, the longest prefix these prompts share (a step of its own,
        in the sequential path's pieces), unless a stream already holds it for the runs starting."""
        length = shared_prefix(prompts, least=self._least, n_batch=self.n_batch, shortest=_WORTH_COPYING)
        if not length or any(self._best_source(r.job.prompt)[1] >= length for r in runs):
            return
        import llama_cpp

        prefix = prompts[0][:length]
        self._prefix = []  # held only once every piece is in (a failed decode leaves none)
        llama_cpp.llama_memory_seq_rm(self._memory, self._prefix_seq, -1, -1)
        for begin, end in pieces(0, length, self.n_batch):
            self._batch.clear()
            for pos in range(begin, end):
                self._batch.add(prefix[pos], pos, [self._prefix_seq], logits=False)
            self._decode()
        self._prefix = prefix

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
        if self.prompts_alone:  # a prompt alone, one of the sequential path's pieces a step
            runs = [r for r in runs if not r.started or r.in_prompt][:1] or runs
        if unstarted := [r for r in runs if not r.started]:
            self._start(unstarted)
        self._batch.clear()
        for run in runs:
            run.feeding, outputs = len(run.pending), 1
            if self.prompts_alone and run.in_prompt:
                begin, end = pieces(run.evaluated, len(run.job.prompt), self.n_batch)[0]
                run.feeding = end - begin
                outputs = self.kernels.outputs(run.feeding) if run.feeding == len(run.pending) else 0
            for offset, token in enumerate(run.pending[: run.feeding]):
                wanted = offset >= len(run.pending) - outputs
                run.output_index = self._batch.add(token, run.evaluated + offset, [run.seq], logits=wanted)
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
            run.evaluated += run.feeding
            run.pending = run.pending[run.feeding :]
            if run.pending:  # a long prompt: more pieces to come
                continue
            token = int(run.sampler.sample(self._ctx, run.output_index))
            is_eog = bool(llama_cpp.llama_vocab_is_eog(self._vocab, token))
            piece = b"" if is_eog else token_bytes(self.llm, token, first=not run.state.tokens)
            if run.state.feed(token, piece, is_eog=is_eog):
                self._release(run.seq)
                run.sampler.close()
                settle(run.job.future, run.state)
            else:
                run.pending = [token]

    def _score_pack(self) -> None:
        """Score the waiting log-likelihood requests the scorer takes at once."""
        with self._cv:
            self._scoring[:] = [j for j in self._scoring if not j.future.cancelled()]
            waiting = list(self._scoring)
        if not waiting:  # all given up on
            return
        if self._scorer is None:
            self._scorer = (
                ScoringPacker(self.llm, n_ctx=self.n_ctx)
                if self.pack_scores
                else ExactScorer(self.llm, self.kernels, n_ctx=self.n_ctx, max_cells=self.scoring_cells)
            )
        pack = self._scorer.take(waiting)
        if not pack:  # the model sends only jobs that fit a pack alone; never spin on one that does not
            settle(waiting[0].future, error=ModelRequestError("too large to pack", retryable=False))
            with self._cv:
                self._scoring.remove(waiting[0])
            return
        with self._cv:
            for job in pack:
                self._scoring.remove(job)
        try:
            with _DECODE_LOCK:
                results = self._scorer.score(pack)
        except Exception as exc:  # these jobs have left the queue: fail them here, not in _fail_all
            error = ModelRequestError(f"llama.cpp decode failed: {exc}", retryable=False)
            for job in pack:
                settle(job.future, error=error)
            return
        for job, scores in zip(pack, results, strict=True):
            settle(job.future, scores)
