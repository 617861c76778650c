"""Warm cache: the same suite run twice against one store; the second run must send nothing.

python bench/warm_cache.py [--models smollm2-135m qwen2.5-coder-0.5b] [--suite quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assay.api import build_spec
from assay.engine.run import evaluate
from assay.store import Store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["smollm2-135m"])
    parser.add_argument("--suite", default="quick")
    args = parser.parse_args()
    spec = build_spec(models=tuple(args.models), tasks=[args.suite])
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        with Store.open(db) as store:
            t0 = time.perf_counter()
            cold = evaluate(spec, store)
            t1 = time.perf_counter()
            warm = evaluate(spec, store)
            t2 = time.perf_counter()
        # The same again as a user types it: a new process (start-up and imports included).
        cmd = [sys.executable, "-m", "assay", "run", "--no-progress", "--json", "--db", str(db)]
        cmd += [x for m in args.models for x in ("-m", m)] + ["-t", args.suite]
        t3 = time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        t4 = time.perf_counter()
        cli_sent = json.loads(out.stdout)["stats"]["sent"]
    print(f"units {cold.stats.planned}")
    print(f"cold:            {t1 - t0:8.2f} s, requests sent {cold.stats.sent}")
    print(f"warm (Python):   {t2 - t1:8.2f} s, requests sent {warm.stats.sent}")
    print(f"warm (CLI):      {t4 - t3:8.2f} s, requests sent {cli_sent}")
    print(
        f"cold/warm wall-time ratio: {(t1 - t0) / (t2 - t1):.1f}x in-process, "
        f"{(t1 - t0) / (t4 - t3):.1f}x by CLI"
    )


if __name__ == "__main__":
    main()
