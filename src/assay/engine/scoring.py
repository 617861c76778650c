"""Scoring: read responses from the store, apply the task's pure scorer, write scores back.

Scorers that need real CPU (a code task runs every answer in the sandbox) can be handed to a
`RemoteScorer` (the Ray executor's spreads them over the cluster); the rest score here in threads.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from assay.core.protocols import Task
from assay.core.results import ResultRecord
from assay.core.types import response_from_json, sample_from_json
from assay.store import Store

Scored = tuple[str, dict[str, float], str | None]  # (unit key, metric values, extracted answer)


class RemoteScorer(Protocol):
    def wants(self, task: Task) -> bool:
        """Whether this task's scoring is worth sending elsewhere (it executes code, say)."""
        ...

    def score(self, rows: Sequence[ResultRecord]) -> tuple[list[Scored], BaseException | None]:
        """Scores of the rows, and the first failure (scores finished before it are still returned)."""
        ...


def score_row(task: Task, row: ResultRecord) -> Scored:
    assert row.response is not None
    score = task.score(sample_from_json(row.sample), response_from_json(row.response))
    return row.key, score.values, score.extracted


def score_here(
    tasks: Mapping[str, Task], rows: Sequence[ResultRecord]
) -> tuple[list[Scored], BaseException | None]:
    # Threads: a code task's scorer waits on a sandboxed subprocess, so the cores stay busy; pure
    # scorers lose nothing. A failing program is a score of 0; a scorer that raises (the sandbox
    # could not start) stops the run, but every score finished by then is kept.
    done: list[Scored] = []
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        futures = [pool.submit(score_row, tasks[row.task], row) for row in rows]
        for future in futures:
            try:
                done.append(future.result())
            except Exception as exc:
                if failure is None:
                    failure = exc
                    for later in futures:
                        later.cancel()  # nothing new starts; running ones finish and are kept
    return done, failure


def score_run(
    store: Store,
    run_id: str,
    tasks: Mapping[str, Task],
    *,
    rescore: bool = False,
    remote: RemoteScorer | None = None,
) -> int:
    """Score every answered unit of the run that has no score yet (all of them with `rescore`)."""
    rows = [
        row
        for row in store.results(run_id)
        if row.response is not None and (row.scores is None or rescore) and row.task in tasks
    ]
    away = [r for r in rows if remote is not None and remote.wants(tasks[r.task])]
    here = [r for r in rows if not (remote is not None and remote.wants(tasks[r.task]))]
    done, failure = score_here(tasks, here)
    if away and remote is not None:
        more, remote_failure = remote.score(away)
        done += more
        failure = failure or remote_failure
    store.put_scores(done)
    if failure is not None:
        raise failure
    return len(done)
