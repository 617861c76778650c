"""Cluster execution: throughput of the Ray executor with 1, 2 and 4 workers against the local executor,
side by side in one run, on a latency-bound model; then 1 vs 2 llama.cpp actors on this machine.

The latency-bound model is tests/stub_openai.py: every answer takes a fixed delay (like a remote model
behind a network) and costs no CPU, so the numbers show what the executors add. Each worker keeps
`--slots` requests in flight; the local executor is run with the same in-flight count as one worker
and as four. The store is a real PostgreSQL (started here); Ray is a head node started here (once, so
Ray's own start-up is not counted against any run). Each configuration runs at two sizes: the
difference is the steady-state throughput, free of fixed costs (actors starting, the plan, scoring),
which are reported apart as the workers' start-up.

python bench/cluster_scaling.py [--units 400 1200] [--delay 0.2] [--slots 4] [--llama-units 30 90]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))

import assay  # noqa: E402
from pg import start_server  # noqa: E402
from ray_cluster import CLUSTER_ENV  # noqa: E402
from stub_openai import StubServer, free_port  # noqa: E402

RAY = str(Path(sys.executable).with_name("ray"))


@dataclass(frozen=True)
class Timed:
    """One configuration at two sizes: the difference is the steady state, free of fixed start-up."""

    label: str
    small: int
    large: int
    small_s: float
    large_s: float
    startup_s: float  # worker start-up (actors loading their models), from the run record
    workers: int

    @property
    def per_s(self) -> float:
        return (self.large - self.small) / (self.large_s - self.small_s)


def timed(
    db: str, models: list[str], task: str, units: int, model_args: dict, executor: str, address: str | None
):
    options = {"address": address} if executor == "ray" else {}
    started = time.perf_counter()
    result = assay.evaluate(
        models, [(task, {"limit": units})], model_args=model_args, executor=executor,
        executor_options=options, store=db,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    assert result.stats.errors == 0 and result.stats.cached == 0, result.stats
    return seconds, assay.get_run(result, store=db).summary


def measure(pg, label: str, models: list[str], task: str, sizes: tuple[int, int], model_args: dict,
            executor: str, address: str | None) -> Timed:  # fmt: skip
    small_s, _ = timed(pg.create_database(), models, task, sizes[0], model_args, executor, address)
    large_s, summary = timed(pg.create_database(), models, task, sizes[1], model_args, executor, address)
    return Timed(label, *sizes, small_s, large_s, summary.startup_s, summary.workers)


def latency_bound(pg, stub: StubServer, address: str, sizes: tuple[int, int], slots: int) -> list[Timed]:
    cases = [
        (f"local, {slots} in flight", "local", {"max_concurrency": slots}),
        (f"local, {4 * slots} in flight", "local", {"max_concurrency": 4 * slots}),
        *[
            (f"ray, {n} worker(s) x {slots}", "ray", {"max_concurrency": n * slots, "replicas": n})
            for n in (1, 2, 4)
        ],
    ]
    return [
        measure(pg, label, ["openai:stub"], "gsm8k", sizes, {"base_url": stub.base_url, **args}, executor,
                address)
        for label, executor, args in cases
    ]  # fmt: skip


def llama_actors(pg, address: str, sizes: tuple[int, int]) -> list[Timed]:
    cases = [
        ("local (2 threads)", "local", {}),
        ("ray, 1 actor (num_cpus=2)", "ray", {"replicas": 1, "num_cpus": 2}),
        ("ray, 2 actors (num_cpus=1)", "ray", {"replicas": 2, "num_cpus": 1}),
    ]
    return [
        measure(pg, label, ["smollm2-135m"], "arithmetic_mc", sizes, args, executor, address)
        for label, executor, args in cases
    ]


def show(title: str, rows: list[Timed]) -> None:
    print(f"\n{title}")
    print(f"{'configuration':30s} {'units':>6s} {'seconds':>8s} {'start-up s':>10s} {'steady units/s':>15s}")
    for r in rows:
        print(f"{r.label:30s} {r.large:6d} {r.large_s:8.2f} {r.startup_s:10.2f} {r.per_s:15.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs=2, default=[400, 1200], help="the two sizes")
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--llama-units", type=int, nargs=2, default=[30, 90])
    args = parser.parse_args()
    os.environ.update(CLUSTER_ENV)
    port = free_port()
    env = {**os.environ}
    subprocess.run([RAY, "stop", "--force"], capture_output=True, env=env)
    subprocess.run([RAY, "get-auth-token", "--generate"], capture_output=True, env=env)
    # Logical CPUs: HTTP workers reserve a quarter CPU each; the llama.cpp actors reserve real cores.
    head = ["start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2"]
    head += ["--include-dashboard=false", "--disable-usage-stats"]
    subprocess.run([RAY, *head], check=True, capture_output=True, env=env)
    address = f"127.0.0.1:{port}"
    pg = start_server()
    try:
        with StubServer(delay_s=args.delay) as stub:
            rows = latency_bound(pg, stub, address, tuple(args.units), args.slots)
        show(f"latency-bound model: {args.delay * 1000:.0f} ms per answer, GSM8K, {args.units} units", rows)
        local, ray1, ray4 = rows[0], rows[2], rows[4]
        efficiency = ray4.per_s / (4 * ray1.per_s)
        print(f"\nscaling efficiency at 4 workers (steady state): {efficiency:.0%} (target >= 80%)")
        added = 1000 * (1 / ray1.per_s - 1 / local.per_s)
        print(f"Ray's added cost per unit (1 worker vs local, same in flight): {added:.2f} ms (target <= 5)")
        print(f"ideal steady throughput at 4 workers: {4 * args.slots / args.delay:.0f} units/s")
        llama = llama_actors(pg, address, tuple(args.llama_units))
        show(f"llama.cpp actors, smollm2-135m, arithmetic_mc {args.llama_units} units, 2 cores", llama)
        print("model loads: one per actor (each actor builds its model in __init__ and serves every unit)")
    finally:
        pg.stop()
        subprocess.run([RAY, "stop", "--force"], capture_output=True, env=env)


if __name__ == "__main__":
    main()
