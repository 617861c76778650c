"""When a batched llama.cpp step gives a sequence exactly the numbers it gets decoded alone.

llama.cpp's CPU matrix products choose their kernel by the number of tokens in a step. For some weight
types (Q5_0 and Q8_0: most of Qwen2.5-0.5B's "Q4_K_M" file) a step of 8 or more tokens sums in another
order than a step of one, so a sequence's logits move (by up to 0.18) and long greedy answers part from
the sequential path's at a near-tie. Below the switch every row is computed as if alone. The choice
depends on shapes, not on the numbers, so one probe per step size finds the largest exact step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from assay.models.llamacpp_scoring import TokenBatch

_PROBE_PROMPT = 8  # tokens of the probed sequence's prompt
_PROBE_WINDOW = 256  # KV cells per sequence in the probe's context (llama.cpp pads a stream to 256)
_probed: dict[tuple[str, int], int] = {}  # (model file, upto) -> answer: a model reloaded is not probed again
_kernels: dict[tuple[str, int], Kernels] = {}  # (model file, upto) -> answer
_PROBE_LENGTH = 48  # tokens of the probes' many-token steps


def batch_context(llm: Any, sequences: int, window: int) -> Any:
    """A context like the model's own (threads, attention, KV types, micro-batch) with one KV stream of
    `window` cells per sequence: a sequence's cells then sit where the one-sequence path puts them, so
    attention sums in the same order."""
    import llama_cpp
    from llama_cpp._internals import LlamaContext

    params = llama_cpp.llama_context_default_params()
    for name in ("n_threads", "n_threads_batch", "flash_attn_type", "type_k", "type_v", "n_ubatch"):
        setattr(params, name, getattr(llm.context_params, name))
    params.n_seq_max = sequences
    params.kv_unified = False
    params.n_ctx = window * sequences
    params.n_batch = params.n_ctx  # room for every sequence's whole window in one decode
    return LlamaContext(model=llm._model, params=params, verbose=False)


def identical_step_tokens(llm: Any, upto: int) -> int:
    """The most sequences (at most `upto`) one decode step may carry while each gets the logits it
    would get decoded alone, bit for bit.

    Probed on this model and machine: sequence 0 is decoded alone, then with 1, 2, ... others in the
    same step, until its logits differ.
    """
    if upto <= 1:
        return 1
    key = (str(llm.model_path), upto)
    if key not in _probed:
        _probed[key] = _probe(llm, upto)
    return _probed[key]


def _probe(llm: Any, upto: int) -> int:
    import llama_cpp

    ctx = batch_context(llm, upto, _PROBE_WINDOW)
    batch = TokenBatch(_PROBE_WINDOW * upto, 1)
    memory = llama_cpp.llama_get_memory(ctx.ctx)
    vocab = llm.n_vocab()

    def step(sequences: int) -> np.ndarray:
        """Sequence 0's logits after one step shared with `sequences - 1` others (then undone)."""
        batch.clear()
        for seq in range(sequences):  # logits for every row, as the decoder asks
            batch.add((4000 + 97 * seq) % vocab, _PROBE_PROMPT, [seq], logits=True)
        decode(ctx, batch)
        row = np.ctypeslib.as_array(ctx.get_logits_ith(0), shape=(vocab,)).copy()
        for seq in range(sequences):
            llama_cpp.llama_memory_seq_rm(memory, seq, _PROBE_PROMPT, -1)
        return row

    try:
        batch.clear()
        for pos in range(_PROBE_PROMPT):  # every sequence's prompt; only sequence 0's logits are read
            for seq in range(upto):
                batch.add((1000 + 31 * pos + seq) % vocab, pos, [seq], logits=False)
        decode(ctx, batch)
        alone = step(1)
        for sequences in range(2, upto + 1):
            if not np.array_equal(step(sequences), alone):
                return sequences - 1
        return upto
    finally:
        batch.free()
        ctx.close()


@dataclass(frozen=True)
class Kernels:
    """What the probes found for one model file on this machine."""

    rows: int  # the largest step whose rows are each computed as if alone
    least_cut: int  # the fewest tokens each side of an exact prompt cut; 0: no cut is exact
    all_outputs: bool  # a step's last row matches the sequential one only with logits for every row

    def outputs(self, tokens: int) -> int:
        """For how many of a step's last rows to compute logits when only the last one is read.

        The sequential path computes logits for every row (`logits_all`), so its output layer's
        product has as many rows as the step: asking for fewer can put that product under the other
        kernel (a 42-token context's last row moved by 0.0067 on qwen). Up to `rows` every count
        computes a row as if alone; above, `rows + 1` rows compute it as many do, unless the probe of
        `rows` stopped at its cap below a switch, which the probe of `all_outputs` catches.
        """
        return tokens if self.all_outputs else min(tokens, self.rows + 1)


def probe_kernels(llm: Any, upto: int) -> Kernels:
    """Probe (once per model file and `upto`) the step sizes a batched decode may use exactly."""
    key = (str(llm.model_path), upto)
    if key not in _kernels:
        rows = identical_step_tokens(llm, upto)
        partial = Kernels(rows, 0, all_outputs=not _few_outputs_exact(llm, rows))
        least = next((n for n in (1, rows + 1) if _splits_exactly(llm, partial, n)), 0)
        _kernels[key] = Kernels(rows, least, partial.all_outputs)
    return _kernels[key]


class _Probe:
    """A two-stream context for the probes below, and its batch."""

    def __init__(self, llm: Any) -> None:
        import llama_cpp

        self.ctx = batch_context(llm, 2, _PROBE_WINDOW)
        self.batch = TokenBatch(_PROBE_WINDOW, 1)
        self.memory = llama_cpp.llama_get_memory(self.ctx.ctx)
        self.vocab = llm.n_vocab()

    def last_row(self, tokens: list[int], start: int, seq: int, outputs: int) -> np.ndarray:
        """The last row's logits after decoding tokens[start:] in one step, `outputs` rows asking."""
        self.batch.clear()
        for pos in range(start, len(tokens)):
            self.batch.add(tokens[pos], pos, [seq], logits=pos >= len(tokens) - outputs)
        decode(self.ctx, self.batch)
        return np.ctypeslib.as_array(self.ctx.get_logits_ith(self.batch.size - 1), shape=(self.vocab,)).copy()

    def clear(self) -> None:
        import llama_cpp

        llama_cpp.llama_memory_clear(self.memory, True)

    def close(self) -> None:
        self.batch.free()
        self.ctx.close()


def _probe_tokens(length: int, vocab: int) -> list[int]:
    return [(500 + 53 * pos) % vocab for pos in range(length)]


def _few_outputs_exact(llm: Any, rows: int) -> bool:
    """Whether a many-token step's last row has the same logits with `rows + 1` rows asking as with all."""
    length = _PROBE_LENGTH
    if rows + 1 >= length:
        return True
    probe = _Probe(llm)
    try:
        tokens = _probe_tokens(length, probe.vocab)
        every = probe.last_row(tokens, 0, 0, length)
        probe.clear()
        return bool(np.array_equal(probe.last_row(tokens, 0, 0, rows + 1), every))
    finally:
        probe.close()


def _splits_exactly(llm: Any, kernels: Kernels, least: int) -> bool:
    """Whether a prompt cut anywhere leaving `least` tokens each side, its prefix evaluated in another
    stream and copied over, gives its last row the logits of one step (at two lengths: kernels switch
    at small sizes, if at all)."""
    import llama_cpp

    if 2 * least >= _PROBE_WINDOW:
        return False
    probe = _Probe(llm)
    try:
        for length in sorted({2 * least, max(2 * least, _PROBE_LENGTH)}):
            tokens = _probe_tokens(length, probe.vocab)
            probe.clear()
            whole = probe.last_row(tokens, 0, 1, kernels.outputs(length))
            for cut in sorted({least, length - least}):
                probe.clear()
                probe.last_row(tokens[:cut], 0, 0, kernels.outputs(cut))
                llama_cpp.llama_memory_seq_cp(probe.memory, 0, 1, -1, -1)
                if not np.array_equal(probe.last_row(tokens, cut, 1, kernels.outputs(length - cut)), whole):
                    return False
        return True
    finally:
        probe.close()


def decode(ctx: Any, batch: TokenBatch) -> None:
    """One `llama_decode`; a failure is an error, not a status to forget."""
    import llama_cpp

    status = llama_cpp.llama_decode(ctx.ctx, batch.raw)
    if status != 0:
        raise RuntimeError(f"llama_decode returned {status}")
