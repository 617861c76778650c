"""Log-likelihood multiple choice: tokens pushed through the model per question, assay vs naive.

Naive = every choice evaluated with its own copy of the context (one request per choice, no reuse).
assay = the shared context evaluated once, then only each choice's own tokens.

    python bench/prefix_reuse.py [--bigbench ../shared/data/bigbench] [--limit 100]
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from assay.core.registry import tasks
from assay.models import build_model, parse_model


async def measure(task_name: str, options: dict, limit: int, model) -> tuple[int, int, int]:
    task = tasks.get(task_name)(**options)
    llm = model._model()
    ours = naive = questions = 0
    for sample in list(task.samples())[:limit]:
        request = task.build_request(sample, chat=False)
        result = await model.loglikelihood(request)
        ctx = len(llm.tokenize(request.context.rstrip(" ").encode(), add_bos=True, special=False))
        ours += result.tokens_evaluated
        naive += sum(ctx + s.num_tokens for s in result.scores)
        questions += 1
    return questions, ours, naive


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--bigbench", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/bigbench"
    )
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args()
    model = build_model(parse_model("smollm2-135m"))
    cases = [("arithmetic_mc", {}), ("truthful_qa_mc", {"path": str(args.bigbench / "truthful_qa")})]
    print(f"{'task':<16}{'questions':>10}{'assay tok/q':>13}{'naive tok/q':>13}{'naive/assay':>13}")
    for name, options in cases:
        n, ours, naive = asyncio.run(measure(name, options, args.limit, model))
        print(f"{name:<16}{n:>10}{ours / n:>13.1f}{naive / n:>13.1f}{naive / ours:>13.2f}")


if __name__ == "__main__":
    main()
