"""A worker that pulls units from a run's work queue in the store and answers them with one model.

Many workers (processes, machines) share one plan this way: each claims a few units at a time as
expiring leases, answers them through the one call path (`answer_unit`: retries, write-once
responses, errors stored), and keeps its leases alive with a heartbeat. Answers are committed in
batches by an `AnswerWriter`, whose thread marks each batch's units done right after the commit: a
unit is never done in the queue without its answer (or error) in the store. A worker
that dies simply stops renewing; its units go to the next claimer when the leases run out. Nothing
here knows about Ray: the Ray executor runs this inside an actor, tests run it in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from assay.core.protocols import Model
from assay.core.types import request_from_json, sample_from_json
from assay.engine.calls import ExecutionStats, UnitFailure, answer_unit
from assay.engine.plan import WorkUnit
from assay.engine.retry import RetryPolicy
from assay.engine.writer import AnswerWriter
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

    async def _answer(self, run_id: str, unit: WorkUnit, policy: RetryPolicy, writer: AnswerWriter) -> None:
        outcome = await answer_unit(unit, writer, run_id, policy, self._calls)
        if not isinstance(outcome, UnitFailure):
            self.stats.tokens_evaluated += getattr(outcome, "tokens_evaluated", None) or 0
        # An error is recorded in the store and the unit is done for this run: the next run retries it.

    def _claim(self, run_id: str, limit: int) -> tuple[list[str], list[UnitRecord]]:
        """Lease up to `limit` units; those someone answered meanwhile are done at once. Returns the
        keys claimed and the units left to answer (three statements for the whole batch)."""
        keys = self.queue.claim(
            run_id, self.worker_id, limit=limit, lease_s=self.lease_s, model=self.model_name
        )
        answered = self.store.answered_keys(keys) if keys else set()
        if answered:
            self.stats.duplicates += len(answered)
            self.queue.complete(run_id, sorted(answered), self.worker_id)
        return keys, self.store.units(k for k in keys if k not in answered)

    async def _heartbeat(self, run_id: str, held: Callable[[], list[str]]) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            if keys := held():
                # A lost lease (it expired, someone else took the unit) costs one duplicate call at worst.
                self.queue.heartbeat(run_id, self.worker_id, keys, self.lease_s)

    async def run(self, run_id: str, policy: RetryPolicy) -> WorkerStats:
        """Claim and answer until no unit of this model is left in the run's queue; on cancellation
        (Ctrl-C, shutdown) write the answers in hand and hand every other held unit back at once
        instead of letting its lease run out.

        A worker keeps up to `slots` requests in flight and as many claimed units waiting, so the next
        request starts without a round trip to the store; answered units are marked done in batches."""
        writer = AnswerWriter(
            self.store, on_written=lambda keys: self.queue.complete(run_id, keys, self.worker_id)
        )
        waiting: list[UnitRecord] = []
        running: dict[str, asyncio.Task[None]] = {}

        def held() -> list[str]:  # answered units stay leased until their answers are written
            return [*running, *(u.key for u in waiting), *writer.unwritten()]

        beat = asyncio.ensure_future(self._heartbeat(run_id, held))
        started = time.perf_counter()
        try:
            while True:
                claimed: list[str] = []
                if len(waiting) < self.slots:
                    claimed, fresh = self._claim(run_id, 2 * self.slots - len(waiting) - len(running))
                    waiting += fresh
                while waiting and len(running) < self.slots:
                    record = waiting.pop(0)
                    running[record.key] = asyncio.ensure_future(
                        self._answer(run_id, self._unit(record), policy, writer)
                    )
                if not running:
                    if not claimed and await self._all_done(run_id, writer):
                        break
                    await asyncio.sleep(self.poll_s)  # others hold the rest: wait for them or their expiry
                    continue
                finished, _ = await asyncio.wait(
                    running.values(), timeout=self.poll_s, return_when=asyncio.FIRST_COMPLETED
                )
                for key in [key for key, job in running.items() if job in finished]:
                    running.pop(key).result()  # a bug in answering surfaces here, not silently
        finally:
            beat.cancel()
            for job in running.values():
                job.cancel()
            await asyncio.gather(beat, *running.values(), return_exceptions=True)
            try:
                await writer.aclose()  # the answers in hand are committed and their units done
            finally:
                self._hand_back(run_id, [*running, *(u.key for u in waiting)])
                self.stats.answered = self._calls.answered
                self.stats.errors = self._calls.errors
                self.stats.sent = self._calls.sent
                self.stats.busy_s += time.perf_counter() - started
        return self.stats

    async def _all_done(self, run_id: str, writer: AnswerWriter) -> bool:
        """Whether no unit of this model is left in the queue, once this worker's answers are written
        (their units are marked done with the batch)."""
        await writer.flush()
        return self.queue.state(run_id, model=self.model_name).remaining == 0

    def _hand_back(self, run_id: str, keys: list[str]) -> None:
        if keys:
            with contextlib.suppress(Exception):  # the store may be the thing that failed
                self.queue.release(run_id, self.worker_id, keys)
