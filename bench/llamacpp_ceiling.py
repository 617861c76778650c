"""What batching can gain on this machine: llama.cpp's prompt and decode rates, one context, B sequences.

The batched backend cannot beat these rates, so they bound `llamacpp_batching.py`'s ratios: prompt
tokens are evaluated at the prompt rate however they are grouped, and each decode step of B sequences
yields B tokens at the decode rate for B. Same context settings as the backend (one KV stream of
`--window` cells per sequence, the model's threads); synthetic tokens, timings only.

    python bench/llamacpp_ceiling.py [--model qwen2.5-coder-0.5b] [--sequences 1 8 16 32] [--steps 48]
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from assay.models import build_model, parse_model
from assay.models.llamacpp_numerics import batch_context, decode
from assay.models.llamacpp_scoring import TokenBatch

PROMPT_TOKENS = 120  # about a GSM8K question in a chat template


def rates(llm: Any, sequences: int, window: int, steps: int) -> tuple[float, float]:
    """(prompt tokens/s, generated tokens/s) for `sequences` sequences decoded together."""
    ctx = batch_context(llm, sequences, window)
    batch = TokenBatch(window * sequences, 1)
    vocab = llm.n_vocab()
    try:
        started = time.perf_counter()
        batch.clear()
        for seq in range(sequences):  # every prompt in one decode, as the backend admits them
            for pos in range(PROMPT_TOKENS):
                batch.add((1000 + 31 * pos + seq) % vocab, pos, [seq], logits=pos == PROMPT_TOKENS - 1)
        decode(ctx, batch)
        prompt_rate = sequences * PROMPT_TOKENS / (time.perf_counter() - started)
        started = time.perf_counter()
        for step in range(steps):
            batch.clear()
            for seq in range(sequences):
                batch.add((2000 + 7 * step + seq) % vocab, PROMPT_TOKENS + step, [seq], logits=True)
            decode(ctx, batch)
        return prompt_rate, sequences * steps / (time.perf_counter() - started)
    finally:
        batch.free()
        ctx.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--sequences", type=int, nargs="+", default=[1, 8, 16, 32])
    parser.add_argument("--steps", type=int, default=48)
    parser.add_argument("--window", type=int, default=1024, help="KV cells per sequence.")
    args = parser.parse_args()
    model = build_model(parse_model(args.model, {}))
    llm = model._model()  # type: ignore[attr-defined]
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{args.model}, {llm.context_params.n_threads} threads, load {load}")
    base = None
    for sequences in args.sequences:
        prompt_rate, decode_rate = rates(llm, sequences, args.window, args.steps)
        base = base or decode_rate
        print(
            f"  B={sequences:3}  prompt {prompt_rate:6.1f} tok/s  decode {decode_rate:6.1f} tok/s "
            f"({decode_rate / base:4.2f}x of B={args.sequences[0]})",
            flush=True,
        )


if __name__ == "__main__":
    main()
