"""A worker that pulls units from a run's work queue in the store and answers them with one model.

Many workers (processes, machines) share one plan this way: each claims a few units at a time as
expiring leases, answers them through the one call path (`answer_unit`: retries, write-once
responses, errors stored), marks them done, and keeps its leases alive with a heartbeat. A worker
that dies simply stops renewing; its units go to the next claimer when the leases run out. Nothing
here knows about Ray: the Ray executor runs this inside an actor, tests run it in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

from assay.core.protocols import Model
from assay.core.types import request_from_json, sample_from_json
from assay.engine.calls import ExecutionStats, UnitFailure, answer_unit
from assay.engine.plan import WorkUnit
from assay.engine.retry import RetryPolicy
from assay.store import Store, UnitRecord, WorkQueue


@dataclass
class WorkerStats:
    answered: int = 0
    duplicates: int = 0  # claimed units that someone had answered already (e.g. after a lease expired)
    errors: int = 0
    sent: int = 0
    tokens_evaluated: int = 0
    busy_s: float = 0.0


class UnitWorker:
    """Answers the units of one model (`model_name` in the plan) with `model`, `slots` at a time."""

    def __init__(
        self,
        store: Store,
        model: Model,
        *,
        worker_id: str,
        model_name: str | None = None,
        slots: int | None = None,
        lease_s: float = 30.0,
        poll_s: float = 0.25,
    ) -> None:
        self.store = store
        self.model = model
        self.model_name = model_name or model.name
        self.worker_id = worker_id
        self.slots = max(1, slots if slots is not None else model.max_concurrency)
        self.lease_s = lease_s
        self.poll_s = poll_s
        self.queue = WorkQueue(store)
        self.stats = WorkerStats()
        self._calls = ExecutionStats()

    def _unit(self, record: UnitRecord) -> WorkUnit:
        return WorkUnit(
            key=record.key,
            model_name=record.model,
            model=self.model,
            task_name=record.task,
            task_version=record.task_version,
            sample=sample_from_json(record.sample),
            request=request_from_json(record.request),
        )

    async def _answer(self, run_id: str, unit: WorkUnit, policy: RetryPolicy) -> None:
        outcome = await answer_unit(unit, self.store, run_id, policy, self._calls)
        if not isinstance(outcome, UnitFailure):
            self.stats.tokens_evaluated += getattr(outcome, "tokens_evaluated", None) or 0
        # An error is recorded in the store and the unit is done for this run: the next run retries it.
        self.queue.complete(run_id, [unit.key], self.worker_id)

    def _start(self, run_id: str, keys: list[str], policy: RetryPolicy) -> dict[str, asyncio.Task[None]]:
        answered = self.store.answered_keys(keys)
        if answered:
            self.stats.duplicates += len(answered)
            self.queue.complete(run_id, sorted(answered), self.worker_id)
        todo = self.store.units(k for k in keys if k not in answered)
        return {r.key: asyncio.ensure_future(self._answer(run_id, self._unit(r), policy)) for r in todo}

    async def _heartbeat(self, run_id: str, held: dict[str, asyncio.Task[None]]) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            if held:
                # A lost lease (it expired, someone else took the unit) costs one duplicate call at worst.
                self.queue.heartbeat(run_id, self.worker_id, list(held), self.lease_s)

    async def run(self, run_id: str, policy: RetryPolicy) -> WorkerStats:
        """Claim and answer until no unit of this model is left in the run's queue; on cancellation
        (Ctrl-C, shutdown) hand every held unit back at once instead of letting its lease run out."""
        held: dict[str, asyncio.Task[None]] = {}
        beat = asyncio.ensure_future(self._heartbeat(run_id, held))
        started = time.perf_counter()
        try:
            while True:
                free = self.slots - len(held)
                claimed = []
                if free > 0:
                    claimed = self.queue.claim(
                        run_id, self.worker_id, limit=free, lease_s=self.lease_s, model=self.model_name
                    )
                    held.update(self._start(run_id, claimed, policy))
                if not held:
                    if not claimed and self.queue.state(run_id, model=self.model_name).remaining == 0:
                        break
                    await asyncio.sleep(self.poll_s)  # others hold the rest: wait for them or their expiry
                    continue
                finished, _ = await asyncio.wait(
                    held.values(), timeout=self.poll_s, return_when=asyncio.FIRST_COMPLETED
                )
                for key in [k for k, job in held.items() if job in finished]:
                    held.pop(key).result()  # a bug in answering surfaces here, not silently
        finally:
            beat.cancel()
            for job in held.values():
                job.cancel()
            await asyncio.gather(beat, *held.values(), return_exceptions=True)
            if held:
                with contextlib.suppress(Exception):  # the store may be the thing that failed
                    self.queue.release(run_id, self.worker_id, list(held))
            self.stats.answered = self._calls.answered
            self.stats.errors = self._calls.errors
            self.stats.sent = self._calls.sent
            self.stats.busy_s += time.perf_counter() - started
        return self.stats
