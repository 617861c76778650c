"""Scoring: read responses from the store, apply the task's pure scorer, write scores back."""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from assay.core.protocols import Task
from assay.core.types import response_from_json, sample_from_json
from assay.store import Store


def score_run(store: Store, run_id: str, tasks: Mapping[str, Task], *, rescore: bool = False) -> int:
    """Score every answered unit of the run that has no score yet (all of them with `rescore`)."""
    rows = [
        row
        for row in store.results(run_id)
        if row.response is not None and (row.scores is None or rescore) and row.task in tasks
    ]

    def one(row: Any) -> tuple[str, dict[str, float], str | None]:
        score = tasks[row.task].score(sample_from_json(row.sample), response_from_json(row.response))
        return row.key, score.values, score.extracted

    # Threads: a code task's scorer waits on a sandboxed subprocess, so the cores stay busy; pure
    # scorers lose nothing. A failing program is a score of 0; a scorer that raises (the sandbox
    # could not start) stops the run, but every score finished by then is stored first.
    done: list[tuple[str, dict[str, float], str | None]] = []
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        futures = [pool.submit(one, row) for row in rows]
        for future in futures:
            try:
                done.append(future.result())
            except Exception as exc:
                if failure is None:
                    failure = exc
                    for later in futures:
                        later.cancel()  # nothing new starts; running ones finish and are kept
    store.put_scores(done)
    if failure is not None:
        raise failure
    return len(done)
