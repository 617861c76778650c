"""Why batched greedy answers can part from sequential ones: one sequence's logits, decoded alone and
with B-1 others in the same step.

A sequence's prompt is evaluated alone in a one-sequence context (the sequential path) and, in a
second context with one KV stream per sequence (the batched path), beside B-1 other sequences; then
one decode step with all B sequences. Prints the largest difference of the sequence's logits from the
sequential ones after its prompt and after that step, for each B. A difference that appears only from
some B on is llama.cpp choosing another matrix kernel for steps of that many tokens.

    python bench/llamacpp_batch_numerics.py [--model qwen2.5-coder-0.5b] [--max-sequences 9]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from llamacpp_ceiling import PROMPT_TOKENS  # bench/ is on the path when run

from assay.models import build_model, parse_model
from assay.models.llamacpp_numerics import batch_context, decode
from assay.models.llamacpp_scoring import TokenBatch

WINDOW = 1024  # KV cells per sequence


def tokens(seed: int, n: int) -> list[int]:
    return [1000 + (seed * 131 + 17 * i) % 5000 for i in range(n)]


def logits_of_first(llm: Any, sequences: int) -> tuple[np.ndarray, np.ndarray]:
    """Sequence 0's logits after its prompt (evaluated on its own) and after one step shared by all."""
    ctx, batch = batch_context(llm, sequences, WINDOW), TokenBatch(WINDOW * sequences, 1)
    vocab = llm.n_vocab()

    def row(index: int) -> np.ndarray:
        return np.ctypeslib.as_array(ctx.get_logits_ith(index), shape=(vocab,)).copy()

    try:
        after_prompt = np.zeros(0)
        for seq in range(sequences):
            batch.clear()
            for pos, token in enumerate(tokens(seq + 1, PROMPT_TOKENS)):
                index = batch.add(token, pos, [seq], logits=pos == PROMPT_TOKENS - 1)
            decode(ctx, batch)
            if seq == 0:
                after_prompt = row(index)
        batch.clear()
        first = batch.add(4242, PROMPT_TOKENS, [0], logits=True)
        for seq in range(1, sequences):
            batch.add(4343, PROMPT_TOKENS, [seq], logits=True)
        decode(ctx, batch)
        return after_prompt, row(first)
    finally:
        batch.free()
        ctx.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--max-sequences", type=int, default=9)
    args = parser.parse_args()
    llm = build_model(parse_model(args.model, {}))._model()  # type: ignore[attr-defined]
    prompt_ref, step_ref = logits_of_first(llm, 1)
    print(f"{args.model}: max |logit difference| of one sequence from the sequential path")
    for sequences in range(2, args.max_sequences + 1):
        prompt, step = logits_of_first(llm, sequences)
        apart, shared = np.abs(prompt - prompt_ref).max(), np.abs(step - step_ref).max()
        print(f"  {sequences:2} in the step: after its prompt {apart:.2e}, after the step {shared:.2e}")


if __name__ == "__main__":
    main()
