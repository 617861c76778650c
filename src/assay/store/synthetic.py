"""Synthetic store contents: finished runs with scored samples, for the dashboard's tests and benchmark
(bench/web_leaderboard.py). Nothing here calls a model."""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Sequence

from assay.core.spec import RunPlan, RunSpec, RunSummary, TaskConfig
from assay.store.records import UnitRecord
from assay.store.schema import ResponseRow, table_of
from assay.store.store import Store


def seed_run(
    store: Store,
    models: Sequence[str],
    tasks: Sequence[str],
    *,
    samples: int = 3,
    seed: int = 0,
    answers: Sequence[str] | None = None,
) -> str:
    """One finished run: every model answers `samples` items of every task; model skill varies.

    `answers` (cycled) replaces the generated responses, e.g. to show hostile text in the explorer."""
    rng = random.Random(seed)
    spec = RunSpec(models=tuple(models), tasks=tuple(TaskConfig(t) for t in tasks))
    run_id = store.create_run(
        spec, RunPlan(task_metrics={t: ("exact_match",) for t in tasks}, kind="synthetic")
    )
    units, responses, scores = [], [], []
    now = time.time()
    for m_index, model in enumerate(models):
        skill = rng.random()
        for task in tasks:
            for s in range(samples):
                key = hashlib.sha256(f"{run_id}|{model}|{task}|{s}".encode()).hexdigest()
                target = str(rng.randint(1, 99))
                correct = rng.random() < skill
                text = (
                    answers[(m_index + s) % len(answers)]
                    if answers
                    else (f"The answer is **{target if correct else int(target) + 1}**.")
                )
                units.append(
                    UnitRecord(
                        key=key,
                        model=model,
                        model_identity={"name": model},
                        task=task,
                        task_version="1",
                        sample_id=str(s),
                        request={"kind": "generate", "prompt": f"Question {s} of {task}?"},
                        sample={"id": str(s), "input": f"Question {s}", "target": target},
                    )
                )
                responses.append(
                    dict(
                        unit_key=key,
                        response_json=json.dumps({"kind": "generate", "text": text}),
                        latency_s=round(rng.uniform(0.05, 2.0), 3),
                        attempts=1,
                        created_at=now,
                    )
                )
                scores.append(
                    (
                        key,
                        {"exact_match": 1.0 if correct else 0.0},
                        target if correct else str(int(target) + 1),
                    )
                )
    store.add_units(run_id, units)
    with store.transaction() as conn:
        store.insert_new(conn, table_of(ResponseRow), responses)
    store.put_scores(scores)
    store.finish_run(run_id, "done", RunSummary(planned=len(units), sent=len(units), answered=len(units)))
    return run_id
