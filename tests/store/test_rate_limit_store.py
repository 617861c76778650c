"""Rate-limit windows in the store (store/limits.py) on SQLite and PostgreSQL: a budget of N admits
exactly N however many threads and connections hit it at once, a refused take counts nothing, hits
stop counting when their window has passed, and a v5 store gains the table."""

import threading

import pytest
from sqlalchemy import delete, inspect, text

from assay.store import Store
from assay.store.limits import MovingWindows, Window
from assay.store.migrations import MIGRATIONS, SCHEMA_VERSION, v6_rate_limits
from assay.store.schema import SchemaVersion


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_concurrent_takes_of_one_key_admit_exactly_the_budget(any_store):
    budget, stores, threads_per_store, takes_per_thread = 7, 3, 4, 3
    opened = [Store.open(any_store.url) for _ in range(stores)]  # separate engines, like processes
    start = threading.Barrier(stores * threads_per_store)
    admitted: list[bool] = []
    lock = threading.Lock()

    def hit(store: Store, who: int) -> None:
        windows = MovingWindows(store)
        start.wait()
        for _ in range(takes_per_thread):
            # each thread also counts in a key of its own, so every take locks two keys
            ok = windows.take([Window("vote/s/shared", budget, 3600), Window(f"vote/ip/{who}", 100, 3600)])
            with lock:
                admitted.append(ok)

    try:
        threads = [
            threading.Thread(target=hit, args=(opened[i % stores], i))
            for i in range(stores * threads_per_store)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for store in opened:
            store.close()
    assert len(admitted) == stores * threads_per_store * takes_per_thread
    assert admitted.count(True) == budget
    assert MovingWindows(any_store).used("vote/s/shared") == budget
    own = sum(MovingWindows(any_store).used(f"vote/ip/{who}") for who in range(stores * threads_per_store))
    assert own == budget  # the refused takes counted nothing in their other window either


def test_a_refused_take_counts_nothing_and_hits_expire(any_store):
    clock = Clock()
    windows = MovingWindows(any_store, clock=clock)
    session, network = Window("s1", 3, 60), Window("net", 4, 60)
    assert [windows.take([session, network]) for _ in range(4)] == [True, True, True, False]
    assert windows.used("s1") == 3 and windows.used("net") == 3
    other = Window("s2", 3, 60)
    assert [windows.take([other, network]) for _ in range(2)] == [True, False]  # the network is full
    assert windows.used("s2") == 1
    clock.now += 59.5  # still inside the minute: nothing has expired
    assert not windows.take([Window("s3", 3, 60), network])
    clock.now += 0.5  # a moving window: the first hits expire exactly one minute after they counted
    assert windows.used("net") == 0 and windows.used("s1") == 0
    assert windows.take([session, network])
    assert windows.purge() == 8  # the expired rows (s1: 3, s2: 1, net: 4) go; the fresh hits stay
    assert windows.used("net") == 1 and windows.used("s1") == 1


def test_an_empty_or_zero_budget(any_store):
    windows = MovingWindows(any_store)
    assert windows.take([])
    assert not windows.take([Window("closed", 0, 60)])
    with pytest.raises(ValueError, match="its own key"):
        windows.take([Window("k", 2, 60), Window("k", 3, 60)])


def test_long_keys_are_stored_by_their_hash(any_store):
    windows = MovingWindows(any_store)
    long_key = "vote/s/" + "x" * 500
    assert [windows.take([Window(long_key, 2, 60)]) for _ in range(3)] == [True, True, False]
    assert windows.used(long_key) == 2
    assert windows.take([Window(long_key[:-1] + "y", 2, 60)])  # a different long key: its own budget


def test_a_v5_store_gains_the_rate_limit_table(any_store):
    windows = MovingWindows(any_store)
    assert windows.take([Window("before", 1, 60)])
    with any_store.engine.begin() as conn:  # back to v5: as a store written before shared limits
        conn.execute(text("DROP TABLE rate_limit_hits"))
        conn.execute(delete(SchemaVersion).where(SchemaVersion.version > MIGRATIONS.index(v6_rate_limits)))
    any_store.close()
    with Store.open(any_store.url) as store:
        assert "rate_limit_hits" in inspect(store.engine).get_table_names()
        with store.reading() as conn:
            versions = [
                v for (v,) in conn.execute(text("SELECT version FROM schema_version ORDER BY version"))
            ]
        assert versions == list(range(1, SCHEMA_VERSION + 1))
        assert MovingWindows(store).take([Window("before", 1, 60)])  # the dropped hit is gone with its table
