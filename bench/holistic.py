"""Robustness and fairness of the built-in models on a multiple-choice task, and what perturbing costs.

For each model: a plain run and a perturbed run (every robustness and fairness perturbation), each
in a fresh store so the perturbed run pays for every unit. Prints the accuracy, HELM's worst-case
robustness and fairness, the drop from the plain accuracy with a paired bootstrap 95% interval over
questions, and the perturbed run's cost relative to the plain one (units, wall time, CPU time).

    python bench/holistic.py [--limit 100] [--models smollm2-135m,qwen2.5-coder-0.5b] [--task arithmetic_mc]
    ASSAY_BIGBENCH_DIR=../shared/data/bigbench python bench/holistic.py --task bbq --shuffle  # people in it

arithmetic_mc has no names, pronouns or dialect words, so its fairness equals its accuracy; BBQ's
questions are about people and exercise every fairness perturbation.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

import assay
from assay.metrics.paired import paired_bootstrap_interval
from assay.tasks.perturb import get_perturbation, resolve

TASK = "arithmetic_mc"  # the default; --task changes it


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_run(
    model: str, task: str, limit: int, perturb: str | None, db: Path, shuffle: bool
) -> tuple[str, float, float, int]:
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = assay.evaluate(
        [model], [task], limit=limit, shuffle=shuffle, perturb=perturb, store=str(db), progress=True
    )
    return result.run_id, time.perf_counter() - wall, cpu_seconds() - cpu, result.stats.planned


def worst_cases(records: list[dict]) -> dict[str, dict[str, float]]:
    """question -> {"plain": score, "robustness": worst, "fairness": worst}."""
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for rec in records:
        if rec["perturbation"] is None:
            out[rec["sample_id"]]["plain"] = rec["score"]
    for group in ("robustness", "fairness"):
        for scores in out.values():
            scores[group] = scores["plain"]
    for rec in records:
        if rec["perturbation"] is not None:
            question = rec["sample_id"].split("~")[0]
            group = get_perturbation(rec["perturbation"]).group
            out[question][group] = min(out[question][group], rec["score"])
    return out


def drop_line(table: dict[str, dict[str, float]], group: str) -> str:
    plain = np.array([v["plain"] for v in table.values()])
    worst = np.array([v[group] for v in table.values()])
    low, high = paired_bootstrap_interval(plain - worst)
    return f"{worst.mean():.3f} (drop {plain.mean() - worst.mean():.3f}, 95% CI {low:.3f} to {high:.3f})"


def bench_model(model: str, task: str, limit: int, workdir: Path, shuffle: bool) -> dict:
    plain_db, perturbed_db = workdir / f"{model}-plain.db", workdir / f"{model}-perturbed.db"
    _, plain_wall, plain_cpu, plain_units = timed_run(model, task, limit, None, plain_db, shuffle)
    pert_id, pert_wall, pert_cpu, pert_units = timed_run(
        model, task, limit, "robustness,fairness", perturbed_db, shuffle
    )
    records = assay.records(pert_id, store=str(perturbed_db))
    table = worst_cases(records)
    changed = defaultdict(int)
    for rec in records:
        if rec["perturbation"]:
            changed[rec["perturbation"]] += 1
    return {
        "model": model,
        "questions": len(table),
        "acc": float(np.mean([v["plain"] for v in table.values()])),
        "robustness": drop_line(table, "robustness"),
        "fairness": drop_line(table, "fairness"),
        "changed": {n: changed.get(n, 0) for n in resolve("robustness,fairness")},
        "units": (plain_units, pert_units),
        "wall_s": (round(plain_wall, 1), round(pert_wall, 1)),
        "cpu_s": (round(plain_cpu, 1), round(pert_cpu, 1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--models", default="smollm2-135m,qwen2.5-coder-0.5b")
    parser.add_argument("--out", type=Path, default=None, help="Also write the results as JSON here.")
    parser.add_argument("--task", default=TASK, help="A multiple-choice task (default arithmetic_mc).")
    parser.add_argument(
        "--shuffle", action="store_true", help="A seeded random subset, not the task's first questions."
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models.split(","):
            rows.append(bench_model(model, args.task, args.limit, Path(tmp), args.shuffle))
            print(json.dumps(rows[-1]), flush=True)
    drawn = "a seeded random subset" if args.shuffle else "the first questions"
    print(
        f"\n{args.task}, {args.limit} questions ({drawn}); robustness/fairness = HELM worst case per question"
    )
    for r in rows:
        (pu, qu), (pw, qw), (pc, qc) = r["units"], r["wall_s"], r["cpu_s"]
        print(f"- {r['model']}: acc {r['acc']:.3f}; robustness {r['robustness']}; fairness {r['fairness']}")
        print(f"  perturbed copies asked (text changed): {r['changed']}")
        print(
            f"  cost perturbed/plain: units {qu}/{pu} = {qu / pu:.2f}x, wall {qw}/{pw} s = {qw / pw:.2f}x, "
            f"CPU {qc}/{pc} s = {qc / pc:.2f}x"
        )
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
