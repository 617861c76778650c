"""The built-in llama.cpp backend, batched (default `n_seq`) vs sequential (`n_seq=1`), side by side.

Same questions, same process: GSM8K greedy generation (throughput in generated tokens/s, answers
byte-identical, score) and multiple-choice log-likelihood (questions/s, largest score difference).

    ASSAY_BIGBENCH_DIR=../shared/data/bigbench python bench/llamacpp_batching.py \\
        [--models qwen2.5-coder-0.5b smollm2-135m] [--gsm8k 100] [--mc 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

import assay  # noqa: F401  (fills the registries)
from assay.core.registry import tasks
from assay.models import build_model, parse_model


async def answer_all(model: Any, requests: list[Any]) -> tuple[list[Any], float]:
    started = time.perf_counter()
    call = model.generate if requests and requests[0].kind == "generate" else model.loglikelihood
    answers = await asyncio.gather(*(call(r) for r in requests))
    return list(answers), time.perf_counter() - started


async def compare(model_name: str, task_name: str, limit: int) -> None:
    task = tasks.get(task_name)()
    samples = list(task.samples())[:limit]
    requests = [task.build_request(s, chat=True) for s in samples]
    runs = {}
    for label, n_seq in (("sequential", 1), ("batched", None)):
        model = build_model(parse_model(model_name, {} if n_seq is None else {"n_seq": n_seq}))
        await answer_all(model, requests[:1])  # load the model outside the timing
        runs[label] = (*await answer_all(model, requests), model.max_concurrency)
        await model.aclose()
    (seq, seq_s, _), (bat, bat_s, slots) = runs["sequential"], runs["batched"]
    scores = {
        k: sum(task.score(s, a).values[task.metric_names[0]] for s, a in zip(samples, v[0], strict=True))
        for k, v in runs.items()
    }
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())  # the machine is shared: say how busy it was
    head = f"{model_name:20} {task_name:15} n={len(samples):3} slots={slots:2} load {load}"
    if task.output_type == "generate":
        tokens = (sum(a.completion_tokens or 0 for a in seq), sum(a.completion_tokens or 0 for a in bat))
        same = sum(a.text == b.text for a, b in zip(seq, bat, strict=True))
        print(
            f"{head}  sequential {seq_s:6.1f}s {tokens[0] / seq_s:6.1f} tok/s | batched {bat_s:6.1f}s "
            f"{tokens[1] / bat_s:6.1f} tok/s | ratio {tokens[1] / bat_s / (tokens[0] / seq_s):4.2f}x | "
            f"identical {same}/{len(samples)} | score {scores['sequential'] / len(samples):.3f} vs "
            f"{scores['batched'] / len(samples):.3f}",
            flush=True,
        )
    else:
        diff = max(
            abs(x.logprob - y.logprob)
            for a, b in zip(seq, bat, strict=True)
            for x, y in zip(a.scores, b.scores, strict=True)
        )
        print(
            f"{head}  sequential {seq_s:6.1f}s {len(samples) / seq_s:6.2f} q/s | batched {bat_s:6.1f}s "
            f"{len(samples) / bat_s:6.2f} q/s | ratio {seq_s / bat_s:4.2f}x | max |dlogprob| {diff:.2e} | "
            f"score {scores['sequential'] / len(samples):.3f} vs {scores['batched'] / len(samples):.3f}",
            flush=True,
        )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["qwen2.5-coder-0.5b", "smollm2-135m"])
    parser.add_argument("--gsm8k", type=int, default=100)
    parser.add_argument("--mc", type=int, default=100)
    args = parser.parse_args()
    for name in args.models:
        for task_name, limit in (
            ("arithmetic_mc", args.mc),
            ("truthful_qa_mc", args.mc),
            ("gsm8k", args.gsm8k),
        ):
            if limit:
                await compare(name, task_name, limit)


if __name__ == "__main__":
    asyncio.run(main())
