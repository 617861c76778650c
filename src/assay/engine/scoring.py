"""Scoring: read responses from the store, apply the task's pure scorer, write scores back."""

from __future__ import annotations

from collections.abc import Mapping

from assay.core.protocols import Task
from assay.core.types import response_from_json, sample_from_json
from assay.store import Store


def score_run(store: Store, run_id: str, tasks: Mapping[str, Task], *, rescore: bool = False) -> int:
    """Score every answered unit of the run that has no score yet (all of them with `rescore`)."""
    pending = []
    for row in store.results(run_id):
        if row.response is None or (row.scores is not None and not rescore) or row.task not in tasks:
            continue
        score = tasks[row.task].score(sample_from_json(row.sample), response_from_json(row.response))
        pending.append((row.key, score.values, score.extracted))
    store.put_scores(pending)
    return len(pending)
