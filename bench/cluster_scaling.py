"""Cluster execution: throughput of the Ray executor with 1, 2 and 4 workers against the local executor,
side by side in one run, on a latency-bound model; then 1 vs 2 llama.cpp actors on this machine.

The latency-bound model is tests/stub_openai.py: every answer takes a fixed delay (like a remote model
behind a network) and costs no CPU, so the numbers show what the executors add. Each worker keeps
`--slots` requests in flight; the local executor is run with the same in-flight count as one worker
and as four. The store is a real PostgreSQL (started here); Ray is a head node started here (started
once, so its start-up is not counted against any run; actor start-up is).

python bench/cluster_scaling.py [--units 1000] [--delay 0.2] [--slots 4] [--llama-units 60]
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
    label: str
    units: int
    seconds: float
    workers: int

    @property
    def per_s(self) -> float:
        return self.units / self.seconds


def run(
    label: str,
    db: str,
    models: list[str],
    tasks: list,
    *,
    model_args: dict,
    executor: str,
    address: str | None,
) -> Timed:
    options = {"address": address} if executor == "ray" else {}
    started = time.perf_counter()
    result = assay.evaluate(
        models, tasks, model_args=model_args, executor=executor, executor_options=options, store=db
    )
    seconds = time.perf_counter() - started
    assert result.stats.errors == 0 and result.stats.cached == 0, result.stats
    summary = assay.get_run(result, store=db).summary
    return Timed(label, result.stats.planned, seconds, summary.workers if summary else 1)


def latency_bound(pg, stub: StubServer, address: str, units: int, slots: int) -> list[Timed]:
    task = [("gsm8k", {"limit": units})]
    cases = [
        (f"local, {slots} in flight", "local", {"max_concurrency": slots}),
        (f"local, {4 * slots} in flight", "local", {"max_concurrency": 4 * slots}),
        *[
            (f"ray, {n} worker(s) x {slots}", "ray", {"max_concurrency": n * slots, "replicas": n})
            for n in (1, 2, 4)
        ],
    ]
    return [
        run(label, pg.create_database(), ["openai:stub"], task,
            model_args={"base_url": stub.base_url, **args}, executor=executor, address=address)
        for label, executor, args in cases
    ]  # fmt: skip


def llama_actors(pg, address: str, units: int) -> list[Timed]:
    task = [("arithmetic_mc", {"limit": units})]
    cases = [
        ("local (2 threads)", "local", {}),
        ("ray, 1 actor (num_cpus=2)", "ray", {"replicas": 1, "num_cpus": 2}),
        ("ray, 2 actors (num_cpus=1)", "ray", {"replicas": 2, "num_cpus": 1}),
    ]
    return [
        run(label, pg.create_database(), ["smollm2-135m"], task, model_args=args, executor=executor,
            address=address)
        for label, executor, args in cases
    ]  # fmt: skip


def show(title: str, rows: list[Timed]) -> None:
    print(f"\n{title}")
    print(f"{'configuration':34s} {'units':>6s} {'seconds':>8s} {'units/s':>8s} {'workers':>8s}")
    for r in rows:
        print(f"{r.label:34s} {r.units:6d} {r.seconds:8.2f} {r.per_s:8.2f} {r.workers:8d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--llama-units", type=int, default=60)
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
            rows = latency_bound(pg, stub, address, args.units, args.slots)
        per_answer = f"{args.delay * 1000:.0f} ms per answer"
        show(f"latency-bound model: {per_answer}, {args.units} GSM8K questions", rows)
        local, ray1, ray4 = rows[0], rows[2], rows[4]
        efficiency = ray4.per_s / (4 * ray1.per_s)
        added_ms = 1000 * (ray1.seconds - local.seconds) / ray1.units
        print(f"\nscaling efficiency at 4 workers: {efficiency:.0%} (target >= 80%)")
        print(
            f"Ray's added cost per unit (1 worker vs local, same in-flight): {added_ms:.2f} ms (target <= 5)"
        )
        ideal = args.units * args.delay / (4 * args.slots)
        print(f"4 workers vs the ideal {ideal:.1f} s: {ray4.seconds / ideal:.2f}x")
        llama = llama_actors(pg, address, args.llama_units)
        show(f"llama.cpp actors, smollm2-135m, {args.llama_units} arithmetic_mc units, 2 cores", llama)
        print("model loads: one per actor (each actor builds its model in __init__ and serves every unit)")
    finally:
        pg.stop()
        subprocess.run([RAY, "stop", "--force"], capture_output=True, env=env)


if __name__ == "__main__":
    main()
