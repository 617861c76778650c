"""Finished runs with chosen per-sample scores, written through the store API, for the compare tests.

`write_run(store, {"alpha": {"t1": [1, 0, None, ...]}})`: each model answers sample i of each task
with score list[i]; None is a request that failed (an error, never scored). `clusters` puts a
"cluster" into each sample's metadata, as a task with a cluster field does."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import numpy as np

from assay.core.spec import RunPlan, RunSpec, RunSummary, TaskConfig
from assay.store import Store
from assay.store.records import ResponseRecord, UnitRecord

Scores = Mapping[str, Mapping[str, Sequence[float | None]]]  # model -> task -> score per sample


def write_run(
    store: Store,
    scores: Scores,
    *,
    metric: str = "acc",
    clusters: Mapping[str, Sequence[str]] | None = None,
    ids: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """One finished run; `ids` (per task) replaces the sample ids 0, 1, 2, ..."""
    tasks = sorted({t for per_task in scores.values() for t in per_task})
    spec = RunSpec(models=tuple(scores), tasks=tuple(TaskConfig(t) for t in tasks))
    run_id = store.create_run(spec, RunPlan(task_metrics={t: (metric,) for t in tasks}, kind="eval"))
    units, answers, scored, errors = [], [], [], []
    for model, per_task in scores.items():
        for task, values in per_task.items():
            for i, value in enumerate(values):
                sample_id = ids[task][i] if ids else str(i)
                key = hashlib.sha256(f"{run_id}|{model}|{task}|{sample_id}".encode()).hexdigest()
                sample = {"id": sample_id, "input": f"Question {sample_id} of {task}", "target": "1"}
                if clusters and task in clusters:
                    sample["metadata"] = [["cluster", clusters[task][i]]]
                units.append(
                    UnitRecord(key, model, {"name": model}, task, "1", sample_id, {"prompt": "?"}, sample)
                )
                if value is None:
                    errors.append(key)
                    continue
                answers.append(ResponseRecord(key, {"kind": "generate", "text": str(value)}, 0.1, 1))
                scored.append((key, {metric: float(value)}, str(value)))
    store.add_units(run_id, units)
    store.put_answers(answers)
    for key in errors:
        store.put_error(run_id, key, "HTTP 500 from the server", attempts=5)
    store.put_scores(scored)
    summary = RunSummary(planned=len(units), sent=len(units), answered=len(answers), errors=len(errors))
    store.finish_run(run_id, "done_with_errors" if errors else "done", summary)
    return run_id


def correlated_binary(n: int, p_a: float, p_b: float, seed: int) -> tuple[list[float], list[float]]:
    """Two models' 0/1 scores on the same n items, correlated through a shared item difficulty."""
    rng = np.random.default_rng(seed)
    shared = rng.random(n)
    a = (0.7 * shared + 0.3 * rng.random(n)) < p_a
    b = (0.7 * shared + 0.3 * rng.random(n)) < p_b
    return a.astype(float).tolist(), b.astype(float).tolist()
