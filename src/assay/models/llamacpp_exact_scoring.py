"""Batched log-likelihood for the llama.cpp backend with the sequential path's scores, bit for bit.

The sequential path evaluates a request's context in one decode, then each continuation in a decode of
its own after it. What decides a row's numbers is the size of the micro-batch it is computed in (see
`llamacpp_numerics`): up to the probed `rows` tokens every row is computed as if alone; above, with the
many-token kernels, whose rows do not depend on how many others share the step. So this scorer keeps
each row in a step of the same kind, and saves the rest:

- **Shared prefix.** Contexts that start alike (a chat template's system turn, few-shot examples, a
  task's instructions) share their first tokens. They are evaluated once, in stream 0; each context
  copies them and evaluates only its own rest, cut where no step changes kind (`llamacpp_prefix`).
- **Short continuations** (at most `rows` tokens) need no step of their own: the first token is
  predicted by the context's last row, and the others are fed one per step, beside the continuations
  of other requests, each in a copy of its context's stream (at most `rows` rows a step).
- **Long continuations** are decoded alone after their context, as on the sequential path.

Each sequence keeps a KV stream of its own (cells where the one-sequence path puts them), and a step's
sequences have consecutive ids, so llama.cpp computes it as one micro-batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assay.core.types import ContinuationScore
from assay.models.llamacpp_numerics import Kernels, batch_context, decode
from assay.models.llamacpp_prefix import cut_is_exact, pieces, shared_prefix
from assay.models.llamacpp_scoring import ScoringJob, TokenBatch
from assay.models.llamacpp_sequence import score_tokens
from assay.models.throughput import tokens_processed

_PREFIX, _CONTEXT, _FIRST_COPY = 0, 1, 2  # stream ids: the shared prefix, a job's context, the copies
_WINDOW_STEP = 256  # llama.cpp pads a stream's attention span to 256 cells: windows grow by that
_JOBS_AT_ONCE = 64  # requests scored between two generation steps
_SHORTEST_PREFIX = 16  # fewer shared tokens are evaluated again rather than held and copied


@dataclass
class _Continuation:
    """A continuation being scored: the logits rows that predict its tokens, as they arrive."""

    job: int
    index: int
    tokens: list[int]
    rows: list[np.ndarray] = field(default_factory=list)  # float32, as llama.cpp gives them
    per_token: bool = False
    position: int = 0  # where its first token goes
    stream: int = -1
    score: ContinuationScore | None = None

    def finish(self) -> None:
        """Score it and let its rows go (a row is the vocabulary's size: ~0.6 MB on qwen)."""
        logits = np.stack(self.rows).astype(np.float64) if self.tokens else np.zeros((0, 1))
        self.score = score_tokens(logits, self.tokens, per_token=self.per_token)
        self.rows = []


@dataclass
class _Step:
    """Short continuations of one length, decoded together: consecutive streams from `first`, the
    continuations whole (llama.cpp cuts a step into micro-batches of equal tokens per sequence)."""

    first: int
    capacity: int
    members: list[_Continuation] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return len(self.members) == self.capacity


class ExactScorer:
    """Scores `ScoringJob`s in a context of its own, one KV stream per sequence."""

    def __init__(self, llm: Any, kernels: Kernels, *, n_ctx: int, max_cells: int) -> None:
        self.llm = llm
        self.kernels = kernels
        self.rows = max(1, kernels.rows)  # the largest step whose rows are computed as if alone
        self.n_ctx = n_ctx
        self.max_cells = max_cells  # the KV budget: fewer copies of long contexts at once
        self.n_batch = int(llm.n_batch)  # the sequential path's decodes are at most this long
        self._streams = 0
        self._vocab = llm.n_vocab()
        self._window = 0
        self._ctx: Any = None
        self._memory: Any = None
        self._batch: TokenBatch | None = None
        self._prefix: list[int] = []  # the tokens whose cells stream 0 holds
        self._least = kernels.least_cut  # tokens each side of a prefix cut (0: none is exact)

    # -- the context ---------------------------------------------------------------------------
    def _ensure_window(self, cells: int) -> None:
        """A context whose streams hold `cells` (rounded up to llama.cpp's padding); grown on demand,
        at least doubling, with as many streams as the KV budget allows (three at the least)."""
        import llama_cpp

        if cells <= self._window:
            return
        needed = min(self.n_ctx, max(-(-cells // _WINDOW_STEP) * _WINDOW_STEP, 2 * self._window))
        self.close()
        self._window = needed
        self._streams = max(_FIRST_COPY + 1, min(_FIRST_COPY + self.rows, self.max_cells // needed))
        self._ctx = batch_context(self.llm, self._streams, needed)
        self._memory = llama_cpp.llama_get_memory(self._ctx.ctx)
        self._batch = TokenBatch(needed * self._streams, 1)
        self._prefix = []

    def close(self) -> None:
        if self._batch is not None:
            self._batch.free()
            self._batch = None
        if self._ctx is not None:
            self._ctx.close()
            self._ctx = None
        self._window = 0

    def _decode(self, rows: list[tuple[int, int, int, bool]]) -> list[int]:
        """One decode of (token, position, stream, wants logits) rows; the batch index of each row."""
        assert self._batch is not None
        self._batch.clear()
        indices = [self._batch.add(token, pos, [seq], logits=wanted) for token, pos, seq, wanted in rows]
        decode(self._ctx, self._batch)
        tokens_processed.add(len(rows))
        return indices

    def _logits(self, index: int) -> np.ndarray:
        return np.ctypeslib.as_array(self._ctx.get_logits_ith(index), shape=(self._vocab,)).copy()

    def _forget(self, stream: int, start: int = 0) -> None:
        import llama_cpp

        llama_cpp.llama_memory_seq_rm(self._memory, stream, start, -1)

    def _copy(self, source: int, target: int) -> None:
        """Stream `target` gets `source`'s cells, where they are (llama.cpp copies the buffers)."""
        import llama_cpp

        llama_cpp.llama_memory_seq_cp(self._memory, source, target, -1, -1)

    # -- scoring -------------------------------------------------------------------------------
    def take(self, waiting: list[ScoringJob]) -> list[ScoringJob]:
        return waiting[:_JOBS_AT_ONCE]

    def score(self, jobs: list[ScoringJob]) -> list[list[ContinuationScore]]:
        """Every job's continuation scores, in order."""
        longest = max(len(j.context) + max((len(c) for c in j.continuations), default=0) for j in jobs)
        self._ensure_window(longest)
        self._share_prefix(jobs)
        done: list[_Continuation] = []
        steps: list[_Step] = []  # the steps waiting to run, each holding consecutive streams
        open_steps: dict[int, _Step] = {}  # the one still filling, per continuation length
        free = _FIRST_COPY  # the copies' streams are handed out in order, freed all at once
        for number, job in enumerate(jobs):
            first = self._evaluate_context(job.context)
            for index, tokens in enumerate(job.continuations):
                cont = _Continuation(number, index, tokens, [first], job.per_token, position=len(job.context))
                done.append(cont)
                if len(tokens) > self.rows:
                    self._decode_alone(cont)
                if len(tokens) <= 1 or len(tokens) > self.rows:
                    cont.finish()
                    continue
                step = open_steps.get(len(tokens))
                if step is None or step.full:
                    capacity = min(self.rows // len(tokens), self._streams - _FIRST_COPY)
                    if free + capacity > self._streams:
                        self._run(steps)
                        steps, open_steps, free = [], {}, _FIRST_COPY
                    step = open_steps[len(tokens)] = _Step(free, capacity)
                    steps.append(step)
                    free += capacity
                cont.stream = step.first + len(step.members)
                step.members.append(cont)
                self._copy(_CONTEXT, cont.stream)
        self._run(steps)
        scores: list[list[ContinuationScore]] = [[] for _ in jobs]
        for cont in sorted(done, key=lambda c: (c.job, c.index)):
            assert cont.score is not None
            scores[cont.job].append(cont.score)
        return scores

    def _share_prefix(self, jobs: list[ScoringJob]) -> None:
        """Hold in stream 0 the longest prefix the jobs' contexts share that each may be cut at
        exactly (`llamacpp_prefix`); keep the one held while it still serves them all."""
        contexts = [j.context for j in jobs]
        if not self._least or all(self._prefix_fits(c) for c in contexts):
            return
        length = shared_prefix(contexts, least=self._least, n_batch=self.n_batch, shortest=_SHORTEST_PREFIX)
        if not length:
            return
        prefix = contexts[0][:length]
        self._prefix = []  # held only once every piece is in (a failed decode leaves none)
        self._forget(_PREFIX)
        for start, end in pieces(0, length, self.n_batch):
            self._decode([(prefix[p], p, _PREFIX, False) for p in range(start, end)])
        self._prefix = prefix

    def _evaluate_context(self, context: list[int]) -> np.ndarray:
        """Put the context's cells in stream 1; return the logits that predict what follows it."""
        self._forget(_CONTEXT)
        start = 0
        if self._prefix_fits(context):
            self._copy(_PREFIX, _CONTEXT)
            start = len(self._prefix)
        index = -1
        for begin, end in pieces(start, len(context), self.n_batch):  # as the sequential path cuts it
            outputs = end - self.kernels.outputs(end - begin) if end == len(context) else end
            index = self._decode([(context[p], p, _CONTEXT, p >= outputs) for p in range(begin, end)])[-1]
        return self._logits(index)

    def _prefix_fits(self, context: list[int]) -> bool:
        """Whether the context starts with the held prefix and may be cut there exactly."""
        shared = len(self._prefix)
        return cut_is_exact(shared, len(context), least=self._least, n_batch=self.n_batch) and (
            context[:shared] == self._prefix
        )

    def _decode_alone(self, cont: _Continuation) -> None:
        """A long continuation in a step of its own after its context, as the sequential path does
        (logits for every row: see `Kernels.outputs`)."""
        rows = [(t, cont.position + k, _CONTEXT, True) for k, t in enumerate(cont.tokens)]
        indices = self._decode(rows)
        cont.rows.extend(self._logits(i) for i in indices[:-1])
        self._forget(_CONTEXT, cont.position)

    def _run(self, steps: list[_Step]) -> None:
        """Decode each step: its continuations whole, one stream each, as on the sequential path."""
        for step in steps:
            rows = [
                (token, cont.position + k, cont.stream, True)  # logits for all, as the sequential path
                for cont in step.members
                for k, token in enumerate(cont.tokens)
            ]
            indices = iter(self._decode(rows))
            for cont in step.members:
                wanted = [next(indices) for _ in cont.tokens][:-1]
                cont.rows.extend(self._logits(i) for i in wanted)
                cont.finish()
                self._forget(cont.stream)
