"""Packed log-likelihood for the llama.cpp backend: many requests' continuations scored in one decode.

A scoring context has one shared KV pool (unified), so a token may belong to several sequences: each
continuation is a sequence, its context's tokens carry the ids of all the continuations of that
request, and the prefix that all the packed contexts share (a chat template's system turn, few-shot
examples) carries every id in the pack. Each context is therefore evaluated once, and a shared prefix
once per pack, while the short continuations of many requests fill one decode instead of one tiny
decode each.

Scores are not always the sequential path's: some move by ~0.01 nats, so packing is opt-in
(`pack_scores=true`); a test holds short requests to 1e-3 nats. Likely cause: there a request's
continuations are decoded a few tokens at a time after its context, here in one many-token decode
with it, and llama.cpp's CPU matrix products use other kernels for many-token steps (measured on
Q5_0/Q8_0 weights: a row's logits move once a step holds 8+ tokens).
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assay.core.types import ContinuationScore
from assay.models.llamacpp_sequence import score_tokens
from assay.models.throughput import tokens_processed

# Sequence ids in one pack (a continuation each); llama.cpp allows up to 256 per context.
PACK_SEQUENCES = 64
# Requests per pack. Several requests in one decode measured off the sequential scores by up to 0.15
# nats for the later requests of a pack (smollm2, arithmetic_mc, 8 per pack; the first ones exact;
# exact again when their contexts share a prefix up to the question), so until that is understood a
# pack holds one request: its context once, all its continuations together.
PACK_REQUESTS = 1


@dataclass
class ScoringJob:
    context: list[int]
    continuations: list[list[int]]
    per_token: bool = False  # also each token's log-probability (the exact scorer only)
    future: Future[list[ContinuationScore]] = field(default_factory=Future)

    @property
    def sequential_tokens(self) -> int:
        """The tokens the sequential path evaluates for the job (reported as its work)."""
        return len(self.context) + sum(len(c) for c in self.continuations)

    @property
    def cells(self) -> int:
        """KV cells the job takes in a pack (the last token of a continuation is never evaluated)."""
        return len(self.context) + sum(max(len(c) - 1, 0) for c in self.continuations)


class TokenBatch:
    """A reusable `llama_batch`: tokens with their position, sequence ids and whether logits are wanted."""

    def __init__(self, capacity: int, seqs_per_token: int) -> None:
        import llama_cpp

        self.capacity = capacity
        self.raw = llama_cpp.llama_batch_init(capacity, 0, seqs_per_token)
        self.size = 0

    def clear(self) -> None:
        self.size = 0
        self.raw.n_tokens = 0

    def add(self, token: int, pos: int, seqs: list[int], *, logits: bool) -> int:
        i = self.size
        self.raw.token[i] = token
        self.raw.pos[i] = pos
        self.raw.n_seq_id[i] = len(seqs)
        for j, seq in enumerate(seqs):
            self.raw.seq_id[i][j] = seq
        self.raw.logits[i] = logits
        self.size += 1
        self.raw.n_tokens = self.size
        return i

    def free(self) -> None:
        import llama_cpp

        llama_cpp.llama_batch_free(self.raw)


def fits_a_pack(job: ScoringJob, capacity: int) -> bool:
    """Whether the job can be packed at all (else it is scored on the sequential path)."""
    return 0 < len(job.continuations) <= PACK_SEQUENCES and len(job.context) > 0 and job.cells <= capacity


def common_prefix(sequences: list[list[int]]) -> int:
    """How many leading tokens all the sequences share."""
    if not sequences:
        return 0
    shortest = min(len(s) for s in sequences)
    for n in range(shortest):
        token = sequences[0][n]
        if any(s[n] != token for s in sequences):
            return n
    return shortest


class ScoringPacker:
    """Owns a unified-KV llama.cpp context and scores packs of `ScoringJob`s in it, one decode each."""

    def __init__(self, llm: Any, *, n_ctx: int) -> None:
        import llama_cpp
        from llama_cpp._internals import LlamaContext

        self.llm = llm
        params = llama_cpp.llama_context_default_params()
        for name in ("n_threads", "n_threads_batch", "flash_attn_type", "type_k", "type_v", "n_ubatch"):
            setattr(params, name, getattr(llm.context_params, name))
        params.n_seq_max = PACK_SEQUENCES
        params.kv_unified = True
        params.n_ctx = params.n_batch = n_ctx  # a pack is one decode; llama.cpp splits it into ubatches
        self.capacity = n_ctx
        self._ctx = LlamaContext(model=llm._model, params=params, verbose=False)
        self._memory = llama_cpp.llama_get_memory(self._ctx.ctx)
        self._batch = TokenBatch(n_ctx, PACK_SEQUENCES)
        self._n_vocab = llm.n_vocab()

    def take(self, waiting: list[ScoringJob]) -> list[ScoringJob]:
        """The longest run of waiting jobs, in order, whose sequences and cells fit one pack."""
        pack: list[ScoringJob] = []
        seqs = cells = 0
        for job in waiting[:PACK_REQUESTS]:
            seqs += len(job.continuations)
            cells += job.cells
            if seqs > PACK_SEQUENCES or cells > self.capacity:
                break
            pack.append(job)
        return pack

    def score(self, pack: list[ScoringJob]) -> list[list[ContinuationScore]]:
        """Every job's continuation scores, in order, from one decode of the whole pack."""
        import llama_cpp

        self._batch.clear()
        rows = self._fill(pack)
        try:
            status = llama_cpp.llama_decode(self._ctx.ctx, self._batch.raw)
            if status != 0:
                raise RuntimeError(f"llama_decode returned {status}")
            tokens_processed.add(self._batch.size)
            return [
                [self._score(tokens, at) for tokens, at in zip(job.continuations, job_rows, strict=True)]
                for job, job_rows in zip(pack, rows, strict=True)
            ]
        finally:
            llama_cpp.llama_memory_clear(self._memory, True)

    def _fill(self, pack: list[ScoringJob]) -> list[list[list[int]]]:
        """Put the pack in the batch; return, per job and continuation, the batch rows whose logits
        predict its tokens."""
        ids: list[list[int]] = []
        next_id = 0
        for job in pack:
            ids.append(list(range(next_id, next_id + len(job.continuations))))
            next_id += len(job.continuations)
        shared = common_prefix([job.context for job in pack])
        shared = min(shared, min(len(job.context) for job in pack) - 1)  # each keeps its last token
        every_id = list(range(next_id))
        for pos in range(shared):
            self._batch.add(pack[0].context[pos], pos, every_id, logits=False)
        rows = []
        for job, job_ids in zip(pack, ids, strict=True):
            for pos in range(shared, len(job.context)):
                last = pos == len(job.context) - 1
                context_row = self._batch.add(job.context[pos], pos, job_ids, logits=last)
            job_rows = []
            for seq, tokens in zip(job_ids, job.continuations, strict=True):
                own = [
                    self._batch.add(token, len(job.context) + k, [seq], logits=True)
                    for k, token in enumerate(tokens[:-1])
                ]
                job_rows.append([context_row, *own])
            rows.append(job_rows)
        return rows

    def _score(self, tokens: list[int], rows: list[int]) -> ContinuationScore:
        if not tokens:
            return score_tokens(np.zeros((0, 1)), tokens)
        shape = (self._n_vocab,)
        logits = np.stack([np.ctypeslib.as_array(self._ctx.get_logits_ith(r), shape=shape) for r in rows])
        logits = logits.astype(np.float64)
        return score_tokens(logits, tokens)

    def close(self) -> None:
        self._batch.free()
        self._ctx.close()
