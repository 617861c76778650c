"""Coverage of assay's 95% intervals by simulation, beside the naive CLT interval and Inspect AI's.

For n = 20, 50 and 200 items it draws `--runs` data sets per scenario (binary and continuous scores,
independent and clustered), builds each interval on the same data, and prints how often it holds the
true mean (nominal 0.95) and its mean width. Inspect AI (`inspect-ai` from PyPI, in its own venv: its
dependencies are not ours) runs in a subprocess on the very same scores: its clustered `stderr`
beside ours on each scenario's first data set, and the coverage of its `ci` (t on the clustered SE)
and `ci_wilson`. Without `--inspect-python` (or $INSPECT_PYTHON) the Inspect columns are skipped.

    python -m venv /tmp/inspect-venv && /tmp/inspect-venv/bin/pip install inspect-ai
    python bench/interval_coverage.py --runs 1000 --inspect-python /tmp/inspect-venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assay.metrics.intervals import clustered_se, reported_interval

Z95 = 1.959963984540054
CLUSTER_SIZE = 5

# Runs in Inspect's venv: reads the data sets as JSON, answers per data set with its clustered stderr,
# its t interval and its Wilson interval (both clustered when the data set has clusters).
INSPECT_WORKER = """
import json, sys
from inspect_ai.scorer import Score, SampleScore, ci, ci_wilson, stderr
answers = []
for job in json.load(sys.stdin):
    key = "cluster" if job["clustered"] else None
    se, t_ci = stderr(cluster=key), ci(level=0.95, method="t", cluster=key)
    wilson = ci_wilson(level=0.95, cluster=key) if job["binary"] else None
    out = []
    for values in job["datasets"]:
        ids = job["clusters"] or list(range(len(values)))
        scores = [SampleScore(score=Score(value=v), sample_id=i, sample_metadata={"cluster": c})
                  for i, (v, c) in enumerate(zip(values, ids))]
        t = t_ci(scores)
        w = wilson(scores) if wilson else {"lower": None, "upper": None}
        out.append([se(scores), t["lower"], t["upper"], w["lower"], w["upper"]])
    answers.append(out)
json.dump(answers, sys.stdout)
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    n: int
    truth: float
    binary: bool
    clustered: bool
    draw: Callable[[np.random.Generator, int], np.ndarray]


def _beta_binomial(p: float, icc: float) -> Callable[[np.random.Generator, int], np.ndarray]:
    a, b = p * (1 - icc) / icc, (1 - p) * (1 - icc) / icc

    def draw(rng: np.random.Generator, n: int) -> np.ndarray:
        cluster_p = rng.beta(a, b, size=n // CLUSTER_SIZE)
        return (rng.random((n // CLUSTER_SIZE, CLUSTER_SIZE)) < cluster_p[:, None]).astype(float).ravel()

    return draw


def _clustered_normal(rng: np.random.Generator, n: int) -> np.ndarray:
    effects = rng.normal(0.0, 0.2, size=n // CLUSTER_SIZE)
    return (0.5 + effects[:, None] + rng.normal(0.0, 0.2, size=(n // CLUSTER_SIZE, CLUSTER_SIZE))).ravel()


def scenarios() -> list[Scenario]:
    out = []
    for n in (20, 50, 200):
        out += [
            Scenario("binary p=0.8", n, 0.8, True, False, lambda r, k: (r.random(k) < 0.8).astype(float)),
            Scenario("binary p=0.95", n, 0.95, True, False, lambda r, k: (r.random(k) < 0.95).astype(float)),
            Scenario("binary clustered p=0.7 icc=0.3", n, 0.7, True, True, _beta_binomial(0.7, 0.3)),
            Scenario("continuous skewed Beta(0.5,2)", n, 0.2, False, False, lambda r, k: r.beta(0.5, 2.0, k)),
            Scenario("continuous clustered normal", n, 0.5, False, True, _clustered_normal),
        ]
    return out


def _cluster_ids(scenario: Scenario) -> list[int] | None:
    return [i // CLUSTER_SIZE for i in range(scenario.n)] if scenario.clustered else None


def _naive(values: np.ndarray) -> tuple[float, float]:
    half = Z95 * float(values.std(ddof=1)) / math.sqrt(len(values))
    return float(values.mean()) - half, float(values.mean()) + half


def _inspect(python: str, jobs: list[tuple[Scenario, list[np.ndarray]]]) -> list[list[list[float | None]]]:
    """Inspect's numbers for every scenario's data sets, in one subprocess (its import is slow)."""
    payload = [
        {
            "clustered": scenario.clustered,
            "binary": scenario.binary,
            "clusters": _cluster_ids(scenario),
            "datasets": [d.tolist() for d in datasets],
        }
        for scenario, datasets in jobs
    ]
    done = subprocess.run(
        [python, "-c", INSPECT_WORKER], input=json.dumps(payload), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"Inspect worker failed: {done.stderr.strip().splitlines()[-1]}")
    found: list[list[list[float | None]]] = json.loads(done.stdout)
    return found


def _share(bounds: list[tuple[float | None, float | None]], truth: float) -> str:
    usable = [(lo, hi) for lo, hi in bounds if lo is not None and hi is not None]
    if not usable:
        return "-"
    hits = sum(1 for lo, hi in usable if lo <= truth <= hi)
    width = sum(hi - lo for lo, hi in usable) / len(usable)
    return f"{hits / len(usable):.3f} ({width:.3f})"


def run(runs: int, inspect_python: str | None, seed: int) -> None:
    rng = np.random.default_rng(seed)
    jobs = [(scenario, [scenario.draw(rng, scenario.n) for _ in range(runs)]) for scenario in scenarios()]
    theirs = _inspect(inspect_python, jobs) if inspect_python else [[] for _ in jobs]
    print(f"coverage of a nominal 95% interval over {runs} simulated runs (mean width in brackets)")
    head = f"{'scenario':34} {'n':>4} {'assay':>15} {'method':>17} {'naive CLT':>15}"
    print(head + (f" {'Inspect ci(t)':>15} {'Inspect ci_wilson':>17}" if inspect_python else ""))
    se_lines = []
    for (scenario, datasets), inspect_rows in zip(jobs, theirs, strict=True):
        ids = _cluster_ids(scenario)
        ours = [reported_interval(d, ids) for d in datasets]
        ours_share = _share([(i.low, i.high) for i in ours], scenario.truth)
        naive_share = _share([_naive(d) for d in datasets], scenario.truth)
        line = f"{scenario.name:34} {scenario.n:>4} {ours_share:>15} {ours[0].method:>17} {naive_share:>15}"
        if inspect_rows:
            t_share = _share([(r[1], r[2]) for r in inspect_rows], scenario.truth)
            w_share = _share([(r[3], r[4]) for r in inspect_rows], scenario.truth) if scenario.binary else "-"
            line += f" {t_share:>15} {w_share:>17}"
            ours_se, their_se = clustered_se(datasets[0], ids), float(inspect_rows[0][0] or math.nan)
            ratio = ours_se / their_se
            se_lines.append(
                f"{scenario.name:34} {scenario.n:>4} {ours_se:>12.6f} {their_se:>12.6f} {ratio:>8.4f}"
            )
        print(line)
    if se_lines:
        print("\nclustered standard error on the same scores (each scenario's first data set)")
        print(f"{'scenario':34} {'n':>4} {'assay':>12} {'Inspect':>12} {'ratio':>8}")
        print("\n".join(se_lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--inspect-python", default=os.environ.get("INSPECT_PYTHON"))
    args = parser.parse_args()
    run(args.runs, args.inspect_python, args.seed)


if __name__ == "__main__":
    main()
