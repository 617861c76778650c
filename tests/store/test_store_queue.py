"""Work leasing on SQLite and PostgreSQL: claim, heartbeat, complete, release and expiry with a clock
the test moves (no sleeping), and workers with their own connections draining one queue."""

import threading
from collections import Counter

import pytest
from sqlalchemy import event, select, text

from assay.core.spec import RunSpec
from assay.store import QueueState, Store, UnitRecord, WorkQueue
from assay.store.schema import WorkQueueRow, table_of


class Clock:
    """Seconds that move only when the test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def unit(key: str, model: str = "m") -> UnitRecord:
    return UnitRecord(key, model, {"name": model}, "t", "1", key, {"prompt": key}, {"target": key})


def keys(n: int, prefix: str = "u") -> list[str]:
    return [f"{prefix}{i:03d}" for i in range(n)]


def queued_run(store: Store, plan: list[UnitRecord]) -> str:
    run = store.create_run(RunSpec(models=(), tasks=()))
    store.add_units(run, plan)
    WorkQueue(store).enqueue(run, [u.key for u in plan])
    return run


@pytest.fixture
def clock():
    return Clock()


def test_enqueue_is_idempotent_and_claims_follow_queue_order(any_store, clock):
    queue = WorkQueue(any_store, clock=clock)
    order = ["c", "a", "d", "b"]  # queue order is the order given, not key order
    run = any_store.create_run(RunSpec(models=(), tasks=()))
    any_store.add_units(run, [unit(k) for k in order])
    assert queue.enqueue(run, order) == 4
    assert queue.enqueue(run, order) == 0
    assert queue.enqueue(run, ["b", "a"]) == 0  # keeps their first place
    assert queue.state(run) == QueueState(queued=4)
    assert queue.claim(run, "w1", limit=3, lease_s=30) == ["c", "a", "d"]
    assert queue.claim(run, "w2", limit=3, lease_s=30) == ["b"]
    assert queue.claim(run, "w3", limit=3, lease_s=30) == []
    assert queue.state(run) == QueueState(leased=4)
    assert queue.workers(run) == {"w1": 3, "w2": 1}


def test_an_expired_lease_goes_to_the_next_claimer(any_store, clock):
    queue = WorkQueue(any_store, clock=clock)
    run = queued_run(any_store, [unit(k) for k in keys(6)])
    assert queue.claim(run, "dead", limit=2, lease_s=30) == ["u000", "u001"]
    clock.advance(10)
    assert queue.claim(run, "alive", limit=2, lease_s=30) == ["u002", "u003"]
    clock.advance(20)  # exactly at expiry: the lease is over
    assert queue.state(run) == QueueState(queued=2, leased=2, expired=2)
    assert queue.claim(run, "alive", limit=3, lease_s=30) == ["u000", "u001", "u004"]
    assert queue.workers(run) == {"alive": 5}
    assert queue.heartbeat(run, "dead", ["u000", "u001"], lease_s=30) == ["u000", "u001"]  # lost both


def test_a_heartbeat_keeps_a_lease_alive_and_reports_the_lost_ones(any_store, clock):
    queue = WorkQueue(any_store, clock=clock)
    run = queued_run(any_store, [unit(k) for k in keys(4)])
    mine = queue.claim(run, "w1", limit=3, lease_s=30)
    assert queue.claim(run, "w2", limit=5, lease_s=1000) == ["u003"]
    for _ in range(5):  # far past the first lease, kept alive every 20 s
        clock.advance(20)
        assert queue.heartbeat(run, "w1", mine, lease_s=30) == []
        assert queue.claim(run, "w3", limit=5, lease_s=30) == []
    assert queue.state(run) == QueueState(leased=4)
    clock.advance(31)  # w1 stopped beating
    assert queue.state(run) == QueueState(leased=1, expired=3)
    assert queue.claim(run, "w3", limit=2, lease_s=30) == ["u000", "u001"]
    # u002 expired but nobody took it: still w1's, so the late heartbeat keeps it.
    assert queue.heartbeat(run, "w1", [*mine, "not-queued"], lease_s=30) == ["not-queued", "u000", "u001"]
    assert queue.heartbeat(run, "w1", [], lease_s=30) == []


def test_a_late_heartbeat_keeps_an_expired_lease_nobody_took(any_store, clock):
    queue = WorkQueue(any_store, clock=clock)
    run = queued_run(any_store, [unit("a")])
    assert queue.claim(run, "w1", limit=1, lease_s=30) == ["a"]
    clock.advance(45)
    assert queue.heartbeat(run, "w1", ["a"], lease_s=30) == []  # still its owner: nobody claimed it
    assert queue.claim(run, "w2", limit=1, lease_s=30) == []


def test_complete_marks_done_whoever_holds_the_lease(any_store, clock):
    queue = WorkQueue(any_store, clock=clock)
    run = queued_run(any_store, [unit(k) for k in keys(4)])
    slow = queue.claim(run, "slow", limit=2, lease_s=30)
    clock.advance(31)
    assert queue.claim(run, "fast", limit=2, lease_s=30) == slow  # took over the expired leases
    assert queue.complete(run, ["u000"], "slow") == 1  # the slow worker answered after all
    assert queue.heartbeat(run, "fast", slow, lease_s=30) == ["u000"]  # fast drops the answered one
    assert queue.complete(run, ["u000", "u001"], "fast") == 1  # u000 is simply done already
    assert queue.complete(run, ["u000", "u001"], "fast") == 0
    assert queue.state(run) == QueueState(queued=2, done=2)
    assert queue.claim(run, "slow", limit=5, lease_s=30) == ["u002", "u003"]  # done units never return
    clock.advance(1000)
    assert queue.claim(run, "other", limit=5, lease_s=30) == ["u002", "u003"]


def test_release_hands_units_back_at_once(any_store, clock):
    queue = WorkQueue(any_store, clock=clock)
    run = queued_run(any_store, [unit(k) for k in keys(5)])
    mine = queue.claim(run, "w1", limit=4, lease_s=300)
    queue.complete(run, mine[:1], "w1")
    assert queue.release(run, "w2") == 0  # only the owner's leases
    assert queue.release(run, "w1", ["u001"]) == 1
    assert queue.state(run) == QueueState(queued=2, leased=2, done=1)
    assert queue.claim(run, "w2", limit=5, lease_s=300) == ["u001", "u004"]
    assert queue.release(run, "w1") == 2  # everything else it held (e.g. on Ctrl-C); not the done one
    assert queue.state(run) == QueueState(queued=2, leased=2, done=1)
    assert queue.claim(run, "w3", limit=5, lease_s=300) == ["u002", "u003"]


def test_a_worker_for_one_model_claims_only_its_units(any_store, clock):
    queue = WorkQueue(any_store, clock=clock)
    plan = [unit(f"{m}{i}", model=m) for i in range(3) for m in ("x", "y")]
    run = queued_run(any_store, plan)
    assert queue.claim(run, "wy", model="y", limit=10, lease_s=30) == ["y0", "y1", "y2"]
    assert queue.claim(run, "wz", model="z", limit=10, lease_s=30) == []
    assert queue.state(run, model="x") == QueueState(queued=3)
    assert queue.state(run, model="y") == QueueState(leased=3)
    assert queue.claim(run, "any", limit=10, lease_s=30) == ["x0", "x1", "x2"]


def test_queues_of_two_runs_sharing_a_unit_are_separate(any_store, clock):
    queue = WorkQueue(any_store, clock=clock)
    first = queued_run(any_store, [unit("shared"), unit("a")])
    second = queued_run(any_store, [unit("shared")])
    assert queue.claim(run_id=first, worker="w1", limit=5, lease_s=30) == ["shared", "a"]
    assert queue.claim(run_id=second, worker="w2", limit=5, lease_s=30) == ["shared"]
    queue.complete(first, ["shared"], "w1")
    assert queue.state(second) == QueueState(leased=1)


def test_bad_claims_are_refused(any_store, clock):
    queue = WorkQueue(any_store, clock=clock)
    run = queued_run(any_store, [unit("a")])
    with pytest.raises(ValueError, match="at least 1"):
        queue.claim(run, "w", limit=0, lease_s=30)
    with pytest.raises(ValueError, match="more than 0 seconds"):
        queue.claim(run, "w", limit=1, lease_s=0)
    with pytest.raises(ValueError, match="more than 0 seconds"):
        queue.heartbeat(run, "w", ["a"], lease_s=-1)


def test_enqueueing_an_unknown_unit_is_a_one_line_store_error(any_store):
    from assay.core.errors import StoreError

    run = any_store.create_run(RunSpec(models=(), tasks=()))
    with pytest.raises(StoreError) as info:
        WorkQueue(any_store).enqueue(run, ["never-added"])
    assert "\n" not in str(info.value)


# -- workers with their own connections -----------------------------------------------------------
N_UNITS, N_WORKERS, BATCH = 200, 4, 3


def _drain(url: str, run: str, worker: str, first_round: threading.Barrier, got: list[str]) -> None:
    """Claim and complete until the queue is empty; every worker claims once before any claims again."""
    store = Store.open(url)  # its own engine: its own connections, as another process would have
    try:
        queue = WorkQueue(store)
        claimed = queue.claim(run, worker, limit=BATCH, lease_s=3600)
        got.extend(claimed)
        first_round.wait(timeout=120)
        while claimed:
            assert queue.heartbeat(run, worker, claimed, lease_s=3600) == []  # nobody took them
            queue.complete(run, claimed, worker)
            claimed = queue.claim(run, worker, limit=BATCH, lease_s=3600)
            got.extend(claimed)
    except BaseException:
        first_round.abort()
        raise
    finally:
        store.close()


def test_workers_with_their_own_connections_claim_every_unit_exactly_once(any_store):
    plan = [unit(k) for k in keys(N_UNITS)]
    run = queued_run(any_store, plan)
    first_round = threading.Barrier(N_WORKERS)
    got: dict[str, list[str]] = {f"w{i}": [] for i in range(N_WORKERS)}
    errors: list[BaseException] = []

    def work(worker: str) -> None:
        try:
            _drain(any_store.url, run, worker, first_round, got[worker])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    claims = Counter(k for keys_of in got.values() for k in keys_of)
    assert sorted(claims) == [u.key for u in plan] and set(claims.values()) == {1}
    # The barrier makes sharing certain: each worker claimed a full batch before anyone claimed twice.
    assert all(len(keys_of) >= BATCH for keys_of in got.values())
    assert WorkQueue(any_store).state(run) == QueueState(done=N_UNITS)
    with any_store.reading() as conn:
        queue = table_of(WorkQueueRow)
        assert set(conn.execute(select(queue.c.claims)).scalars()) == {1}


@pytest.mark.postgres
def test_postgres_claims_in_one_statement_that_skips_locked_rows(pg_url):
    store = Store.open(pg_url)
    run = queued_run(store, [unit(k) for k in keys(6)])
    statements: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def seen(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()))

    with Store.open(pg_url) as other, other.engine.connect() as holder:
        # Another worker is in the middle of claiming the first two: their rows are locked.
        tx = holder.begin()
        holder.execute(text("SELECT 1 FROM work_queue WHERE unit_key IN ('u000', 'u001') FOR UPDATE"))
        claimed = WorkQueue(store).claim(run, "w", limit=3, lease_s=30)  # would hang without SKIP LOCKED
        tx.rollback()
    assert claimed == ["u002", "u003", "u004"]
    [claim] = [s for s in statements if s.startswith("UPDATE")]
    assert claim.startswith("UPDATE work_queue SET owner=")
    assert "WHERE (work_queue.run_id, work_queue.unit_key) IN (SELECT" in claim
    assert "FOR UPDATE OF free SKIP LOCKED" in claim and "RETURNING" in claim
    store.close()
