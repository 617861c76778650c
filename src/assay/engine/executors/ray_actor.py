"""What runs on Ray workers: an actor that loads the model once, then pulls and answers units from the
store; and scoring of stored answers that needs a node's CPU (code in the sandbox).

Kept free of Ray imports so any worker process can import it by name; the Ray executor wraps the class
with `ray.remote` at run time.
"""

from __future__ import annotations

import functools
import json
import os
import socket
from dataclasses import asdict
from typing import Any

from assay.core.protocols import Task
from assay.core.results import ResultRecord
from assay.core.spec import RunSpec
from assay.core.types import ModelSpec
from assay.engine.executors.worker import UnitWorker
from assay.engine.retry import RetryPolicy
from assay.engine.scoring import Scored, score_row
from assay.engine.tasks import build_task_runs
from assay.models import build_model
from assay.store import Store


class WorkerActor:
    """One model replica on one node, serving many units for the run it is started for."""

    def __init__(
        self, store_url: str, spec: ModelSpec, model_name: str, worker_id: str, slots: int, lease_s: float
    ) -> None:
        # Importing any assay module ran assay/__init__, which installed the plugin loader: a user's
        # backends and tasks resolve here as they do on the driver.
        self.store = Store.open(store_url)
        self.model = build_model(spec)
        self.worker = UnitWorker(
            self.store, self.model, worker_id=worker_id, model_name=model_name, slots=slots, lease_s=lease_s
        )

    def ready(self) -> dict[str, Any]:
        """The model as this node sees it (its identity must match the plan's) and where it runs."""
        return {"identity": self.model.identity, "node": socket.gethostname(), "pid": os.getpid()}

    async def run(self, run_id: str, policy: dict[str, Any]) -> dict[str, Any]:
        try:
            stats = await self.worker.run(run_id, RetryPolicy(**policy))
        finally:
            await self.model.aclose()
            self.store.close()
        return asdict(stats)


@functools.lru_cache(maxsize=4)
def _tasks_of(spec_json: str) -> dict[str, Task]:
    """The run's tasks, built once per worker process (a code task needs its problems and tests)."""
    spec = RunSpec.from_json(json.loads(spec_json))
    return {r.task.name: r.task for r in build_task_runs(spec)}


def score_chunk(spec_json: str, rows: list[dict[str, Any]]) -> tuple[list[Scored], str | None]:
    """Score stored answers on a cluster node (code runs in this node's sandbox); stops at the first
    scorer that raises and returns what was scored before it with that error's one line."""
    tasks = _tasks_of(spec_json)
    done: list[Scored] = []
    for row in rows:
        record = ResultRecord(**row)
        try:
            done.append(score_row(tasks[record.task], record))
        except Exception as exc:  # e.g. the sandbox cannot start on this node: the driver reports it
            return done, f"{type(exc).__name__}: {exc}"
    return done, None
