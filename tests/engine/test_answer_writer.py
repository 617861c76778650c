"""Answers are written in batches, off the event loop, on both stores: fewer transactions than answers
(counted with a SQLAlchemy listener, never timed), everything in hand committed when a run is
cancelled, errors and responses side by side in one transaction, a failed write raised on the loop."""

from __future__ import annotations

import asyncio
import math
import threading

import pytest
from sqlalchemy import event

from assay.api import build_spec
from assay.core.errors import StoreError
from assay.engine.executors.local import LocalExecutor
from assay.engine.plan import WorkUnit, plan
from assay.engine.progress import RunProgress
from assay.engine.retry import RetryPolicy
from assay.engine.run import run_plan, unit_record
from assay.engine.session import EngineSession
from assay.engine.tasks import build_task_runs
from assay.engine.writer import AnswerWriter
from assay.models import build_model, parse_model
from assay.store import Store
from stub_openai import StubServer


@pytest.fixture(scope="module")
def stub():
    with StubServer(delay_s=0.0) as server:
        yield server


def planned(store: Store, stubs: list[StubServer], n: int) -> tuple[str, list[WorkUnit]]:
    """A run of the first n GSM8K questions for one stub model per server, its units in the store."""
    spec = build_spec(["openai:stub"], [("gsm8k", {"limit": n})], model_args={"max_concurrency": 8})
    runs = build_task_runs(spec)
    models = [
        build_model(parse_model("openai:stub", {"base_url": s.base_url, "max_concurrency": 8})) for s in stubs
    ]
    units = plan(models, runs)
    run_id = store.create_run(spec, run_plan(runs, models))
    store.add_units(run_id, [unit_record(u) for u in units])
    return run_id, units


class Commits:
    """Transactions committed on a store's engine, with the threads that committed them."""

    def __init__(self, store: Store) -> None:
        self.threads: list[int] = []
        event.listen(store.engine, "commit", self._on_commit)

    def _on_commit(self, _conn: object) -> None:
        self.threads.append(threading.get_ident())

    def __len__(self) -> int:
        return len(self.threads)


class CountingProgress(RunProgress):
    """The silent progress bar, counting the units the executor has finished (answer handed over)."""

    def __init__(self, total: int) -> None:
        super().__init__(total, enabled=False)
        self.finished = 0

    def advance(self, *, cached: int = 0, error: bool = False, steps: int = 1) -> None:
        super().advance(cached=cached, error=error, steps=steps)
        self.finished += steps - cached


def execute(executor: LocalExecutor, store: Store, run_id: str, units: list[WorkUnit], progress: RunProgress):
    return executor.execute(units, store, run_id, policy=RetryPolicy(), progress=progress, models={})


def test_answers_are_committed_in_batches_by_another_thread(any_store, stub):
    run_id, units = planned(any_store, [stub], 30)
    commits = Commits(any_store)
    executor = LocalExecutor(batch_size=8, interval_s=3600.0)  # batches by size only, and the last at the end

    async def run():
        stats = await execute(executor, any_store, run_id, units, RunProgress(30, enabled=False))
        return stats, threading.get_ident()

    stats, loop_thread = asyncio.run(run())
    assert stats.answered == 30 and stats.sent == 30 and stats.errors == 0
    assert any_store.counts()["responses"] == 30
    # Each batch takes every answer waiting (at least 8 but the last), so at most ceil(30 / 8).
    assert 1 <= len(commits) <= math.ceil(30 / 8) < 30
    assert loop_thread not in commits.threads  # the event loop never waited on a commit


def test_cancelling_a_run_commits_every_answer_in_hand(any_store, stub):
    """Half the units answer at once, the other half never (a server that hangs); cancelled then, the
    executor writes the answers it holds before it stops, though no batch was due."""
    with StubServer(delay_s=3600.0) as hanging:
        run_id, units = planned(any_store, [stub, hanging], 6)
        progress = CountingProgress(len(units))
        executor = LocalExecutor(batch_size=1000, interval_s=3600.0)

        async def cancel_when_the_fast_half_is_answered():
            job = asyncio.ensure_future(execute(executor, any_store, run_id, units, progress))
            while progress.finished < 6:
                await asyncio.sleep(0.01)
            written_before = any_store.counts()["responses"]
            job.cancel()
            with pytest.raises(asyncio.CancelledError):
                await job
            return written_before

        assert asyncio.run(cancel_when_the_fast_half_is_answered()) == 0  # nothing was due before
        hanging.process.kill()  # its server would wait for the hung requests before stopping
    answered = {r.key for r in any_store.results(run_id) if r.response is not None}
    assert answered == {u.key for u in units if u.model.identity["base_url"] == stub.base_url}


def test_an_error_and_a_response_share_one_transaction(any_store, stub):
    run_id, units = planned(any_store, [stub], 2)
    ok, failed = units
    commits = Commits(any_store)
    writer = AnswerWriter(any_store, batch_size=100, interval_s=3600.0)

    async def write_both():
        writer.add_response(ok.key, {"kind": "generate", "text": "#### 4"}, latency_s=0.1, attempts=1)
        writer.add_error(run_id, failed.key, "HTTP 503 after 3 attempts", attempts=3)
        await writer.flush()
        await writer.aclose()

    asyncio.run(write_both())
    assert len(commits) == 1 and writer.batches == 1
    rows = {r.key: r for r in any_store.results(run_id)}
    assert rows[ok.key].response == {"kind": "generate", "text": "#### 4"} and rows[ok.key].error is None
    assert rows[failed.key].response is None and rows[failed.key].error == "HTTP 503 after 3 attempts"
    assert any_store.error_count(run_id) == 1


def test_responses_stay_write_once_through_the_writer(any_store, stub):
    _, units = planned(any_store, [stub], 1)
    key = units[0].key
    any_store.put_response(key, {"kind": "generate", "text": "first"}, latency_s=None, attempts=1)

    async def answer_again():
        writer = AnswerWriter(any_store)
        writer.add_response(key, {"kind": "generate", "text": "second"}, latency_s=None, attempts=1)
        await writer.aclose()

    asyncio.run(answer_again())
    assert any_store.responses([key])[key]["text"] == "first"


def test_a_failed_write_is_raised_on_the_loop_and_stops_the_writer(any_store):
    """A response for a unit that was never planned breaks the foreign key: the batch is refused."""
    writer = AnswerWriter(any_store, batch_size=100, interval_s=3600.0)

    async def write_an_orphan():
        writer.add_response("no-such-unit", {"kind": "generate", "text": "x"}, latency_s=None, attempts=1)
        with pytest.raises(StoreError, match="cannot write to the results store"):
            await writer.flush()
        with pytest.raises(StoreError):
            writer.add_response("another", {"kind": "generate", "text": "y"}, latency_s=None, attempts=1)
        await writer.aclose()  # raised once already: closing does not raise it again

    asyncio.run(write_an_orphan())
    assert any_store.counts()["responses"] == 0


def test_a_session_call_returns_only_once_its_answer_is_stored(any_store, stub):
    run_id, units = planned(any_store, [stub], 3)
    session = EngineSession(any_store, run_id, RetryPolicy())

    async def ask_all():
        stored = []
        for unit in units:
            await session.answer(unit)
            stored.append(unit.key in any_store.answered_keys([unit.key]))
        return stored

    assert asyncio.run(ask_all()) == [True, True, True]
    session.finish()
    assert session.stats.answered == 3 and any_store.list_runs(1)[0].status == "done"
