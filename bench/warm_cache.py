"""Warm cache: the same suite run twice against one store; the second run must send nothing.

python bench/warm_cache.py [--models smollm2-135m qwen2.5-coder-0.5b] [--suite quick]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from assay.engine.run import EvalSpec, evaluate, expand_tasks
from assay.store import Store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["smollm2-135m"])
    parser.add_argument("--suite", default="quick")
    args = parser.parse_args()
    spec = EvalSpec(models=tuple(args.models), tasks=expand_tasks([args.suite]))
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "bench.db") as store:
        t0 = time.perf_counter()
        cold = evaluate(spec, store)
        t1 = time.perf_counter()
        warm = evaluate(spec, store)
        t2 = time.perf_counter()
    print(f"units {cold.stats.planned}")
    print(f"cold: {t1 - t0:8.2f} s, requests sent {cold.stats.sent}")
    print(f"warm: {t2 - t1:8.2f} s, requests sent {warm.stats.sent}")
    print(f"cold/warm wall-time ratio: {(t1 - t0) / (t2 - t1):.1f}x")


if __name__ == "__main__":
    main()
