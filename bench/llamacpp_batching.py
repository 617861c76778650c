"""The built-in llama.cpp backend, batched (default `n_seq`) vs sequential (`n_seq=1`), side by side.

Same questions, same process: GSM8K greedy generation (throughput in generated tokens/s, answers
byte-identical, score) and multiple-choice log-likelihood (questions/s, largest score difference).

    ASSAY_BIGBENCH_DIR=../shared/data/bigbench python bench/llamacpp_batching.py \\
        [--models qwen2.5-coder-0.5b smollm2-135m] [--gsm8k 100] [--mc 100] [--modes exact fast] [--fewshot 8]
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


# The batched modes set against the sequential path (`n_seq=1`): `exact` (the default) keeps every
# greedy answer; `fast` lets each decode step hold all `n_seq` sequences.
MODES = {"exact": {}, "fast": {"exact": "false"}}


async def timed_run(
    model_name: str, args: dict[str, Any], requests: list[Any]
) -> tuple[list[Any], float, int]:
    """Answers, seconds and the sequences per step, the model loaded outside the timing."""
    model = build_model(parse_model(model_name, args))
    await answer_all(model, requests[:1])
    answers, seconds = await answer_all(model, requests)
    batcher = getattr(model, "_batcher", None)
    await model.aclose()
    return answers, seconds, batcher.slots if batcher is not None else 1


def report_differences(samples: list[Any], seq: list[Any], bat: list[Any]) -> None:
    """Where each answer that is not the sequential one parts from it, and how both ended."""
    for sample, a, b in zip(samples, seq, bat, strict=True):
        if a.text != b.text:
            shorter = min(len(a.text), len(b.text))
            at = next((i for i in range(shorter) if a.text[i] != b.text[i]), shorter)
            near = slice(max(0, at - 20), at + 20)
            print(
                f"    {sample.id}: parts at character {at} ({a.text[near]!r} vs {b.text[near]!r}); "
                f"{a.completion_tokens} vs {b.completion_tokens} tokens, "
                f"{a.finish_reason} vs {b.finish_reason}",
                flush=True,
            )


async def compare(model_name: str, task_name: str, limit: int, modes: list[str], **task_args: Any) -> None:
    task = tasks.get(task_name)(**task_args)
    samples = list(task.samples())[:limit]
    requests = [task.build_request(s, chat=True) for s in samples]
    seq, seq_s, _ = await timed_run(model_name, {"n_seq": 1}, requests)
    for mode in modes if task.output_type == "generate" else ["exact"]:
        bat, bat_s, slots = await timed_run(model_name, MODES[mode], requests)
        mean = {
            label: sum(task.score(s, a).values[task.metric_names[0]] for s, a in zip(samples, v, strict=True))
            / len(samples)
            for label, v in (("sequential", seq), ("batched", bat))
        }
        load = "/".join(f"{x:.2f}" for x in os.getloadavg())  # the machine may be shared: say how busy
        label = f"{task_name} {task_args['num_fewshot']}-shot" if task_args.get("num_fewshot") else task_name
        head = f"{model_name:20} {label:15} n={len(samples):3} {mode:5} slots={slots:2} load {load}"
        if task.output_type == "generate":
            tokens = (sum(a.completion_tokens or 0 for a in seq), sum(a.completion_tokens or 0 for a in bat))
            same = sum(a.text == b.text for a, b in zip(seq, bat, strict=True))
            print(
                f"{head}  sequential {seq_s:6.1f}s {tokens[0] / seq_s:6.1f} tok/s | batched {bat_s:6.1f}s "
                f"{tokens[1] / bat_s:6.1f} tok/s | ratio {tokens[1] / bat_s / (tokens[0] / seq_s):4.2f}x | "
                f"identical {same}/{len(samples)} | score {mean['sequential']:.3f} vs {mean['batched']:.3f}",
                flush=True,
            )
            report_differences(samples, seq, bat)
        else:
            diff = max(
                abs(x.logprob - y.logprob)
                for a, b in zip(seq, bat, strict=True)
                for x, y in zip(a.scores, b.scores, strict=True)
            )
            print(
                f"{head}  sequential {seq_s:6.1f}s {len(samples) / seq_s:6.2f} q/s | batched {bat_s:6.1f}s "
                f"{len(samples) / bat_s:6.2f} q/s | ratio {seq_s / bat_s:4.2f}x | max |dlogp| {diff:.2e} | "
                f"score {mean['sequential']:.3f} vs {mean['batched']:.3f}",
                flush=True,
            )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["qwen2.5-coder-0.5b", "smollm2-135m"])
    parser.add_argument("--gsm8k", type=int, default=100)
    parser.add_argument("--mc", type=int, default=100)
    parser.add_argument("--modes", nargs="+", choices=sorted(MODES), default=list(MODES))
    parser.add_argument("--fewshot", type=int, default=0, help="GSM8K examples per prompt (a shared prefix)")
    args = parser.parse_args()
    for name in args.models:
        for task_name, limit in (("arithmetic_mc", args.mc), ("truthful_qa_mc", args.mc)):
            if limit:
                await compare(name, task_name, limit, args.modes)
        if args.gsm8k:
            await compare(name, "gsm8k", args.gsm8k, args.modes, num_fewshot=args.fewshot)


if __name__ == "__main__":
    asyncio.run(main())
