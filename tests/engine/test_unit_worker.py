"""The pull worker that Ray actors run, tested in-process on both stores: workers sharing a queue answer
every unit once; a stopped worker hands its units back at once; a dead worker's units are taken when
its leases expire; a failed request is an error, never an answer. No assertion depends on timing."""

from __future__ import annotations

import asyncio

import pytest

from assay.api import build_spec
from assay.engine.executors.worker import UnitWorker
from assay.engine.plan import plan
from assay.engine.retry import RetryPolicy
from assay.engine.run import run_plan, unit_record
from assay.engine.tasks import build_task_runs
from assay.models import build_model, parse_model
from assay.store import Store, WorkQueue
from stub_openai import StubServer


@pytest.fixture(scope="module")
def stub():
    with StubServer(delay_s=0.05) as server:
        yield server


def queued_run(store: Store, stub: StubServer, n: int) -> tuple[str, str]:
    """A run of n GSM8K questions for the stub model, planned and queued as the Ray driver does."""
    spec = build_spec(["openai:stub"], [("gsm8k", {"limit": n})], model_args={"base_url": stub.base_url})
    runs = build_task_runs(spec)
    model = build_model(parse_model("openai:stub", dict(spec.model_args)))
    units = plan([model], runs)
    run_id = store.create_run(spec, run_plan(runs, [model]))
    store.add_units(run_id, [unit_record(u) for u in units])
    WorkQueue(store).enqueue(run_id, [u.key for u in units])
    return run_id, model.name


def worker(store: Store, stub: StubServer, name: str, slots: int = 4, lease_s: float = 30.0) -> UnitWorker:
    model = build_model(parse_model("openai:stub", {"base_url": stub.base_url}))
    return UnitWorker(store, model, worker_id=name, slots=slots, lease_s=lease_s, poll_s=0.05)


def test_workers_sharing_a_queue_answer_every_unit_once(any_store, stub):
    run_id, _ = queued_run(any_store, stub, 30)
    workers = [worker(Store.open(any_store.url), stub, f"w{i}") for i in range(3)]

    async def all_of_them():
        return await asyncio.gather(*(w.run(run_id, RetryPolicy()) for w in workers))

    stats = asyncio.run(all_of_them())
    assert sum(s.answered + s.duplicates for s in stats) == 30
    assert any_store.counts()["responses"] == 30
    assert WorkQueue(any_store).state(run_id).done == 30
    assert all(r.response is not None for r in any_store.results(run_id))
    for w in workers:
        w.store.close()


def test_a_stopped_worker_hands_its_units_back_and_another_finishes(any_store, stub):
    run_id, _ = queued_run(any_store, stub, 20)
    first, second = worker(any_store, stub, "first"), worker(any_store, stub, "second")
    queue = WorkQueue(any_store)

    async def stop_first_after_some_answers():
        job = asyncio.ensure_future(first.run(run_id, RetryPolicy()))
        while any_store.counts()["responses"] < 3:  # polled: it holds units now and answered some
            await asyncio.sleep(0.01)
        job.cancel()
        await asyncio.gather(job, return_exceptions=True)
        held = queue.state(run_id).leased
        return held, await second.run(run_id, RetryPolicy())

    held, finished = asyncio.run(stop_first_after_some_answers())
    assert held == 0  # handed back at once, not left to expire
    assert any_store.counts()["responses"] == 20 and queue.state(run_id).done == 20
    # Whatever the first worker answered before stopping is never asked again.
    assert first.stats.answered + finished.answered == 20


def test_a_dead_workers_units_are_taken_when_its_leases_expire(any_store, stub):
    run_id, model = queued_run(any_store, stub, 8)
    queue = WorkQueue(any_store)
    ghost = queue.claim(run_id, "ghost", limit=5, lease_s=0.5, model=model)  # claims, then dies
    assert len(ghost) == 5
    survivor = worker(any_store, stub, "survivor")
    stats = asyncio.run(survivor.run(run_id, RetryPolicy()))
    assert stats.answered == 8 and queue.state(run_id).done == 8
    assert any_store.counts()["responses"] == 8


def test_a_request_that_keeps_failing_is_an_error_and_the_unit_is_done(any_store):
    """A server that refuses every request: each unit's error is stored, none is answered or scored."""
    with StubServer(delay_s=0.0) as stub:
        run_id, _ = queued_run(any_store, stub, 3)
    # The server is gone now: every call fails (connection refused), and is retried, then recorded.
    dead = worker(any_store, stub, "w")
    stats = asyncio.run(dead.run(run_id, RetryPolicy(max_attempts=2, base_delay=0.0)))
    assert stats.errors == 3 and stats.answered == 0
    assert any_store.counts()["responses"] == 0 and any_store.error_count(run_id) == 3
    assert WorkQueue(any_store).state(run_id).done == 3
