"""The results store on a real SQLite file and a real PostgreSQL: contracts, concurrency, failures."""

import multiprocessing
import os
import random
import sqlite3
import threading
import time
import traceback

import pytest
from sqlalchemy import event, insert, text

from assay.core.errors import StoreError
from assay.core.spec import RunSpec, RunSummary
from assay.store import Store, UnitRecord
from assay.store.migrations import SCHEMA_VERSION
from assay.store.schema import UnitRow

SPAWN = multiprocessing.get_context("spawn")


def unit(key: str, pad: int = 0) -> UnitRecord:
    return UnitRecord(
        key=key,
        model="m",
        model_identity={"backend": "test", "name": "m"},
        task="t",
        task_version="1",
        sample_id=key,
        request={"prompt": f"q {key}", "pad": "x" * pad},
        sample={"target": key},
    )


def units(prefix: str, n: int, pad: int = 0) -> list[UnitRecord]:
    return [unit(f"{prefix}{i:04d}", pad) for i in range(n)]


# -- contracts, on both backends -------------------------------------------------------------------
def test_add_units_twice_keeps_one_row_each_and_runs_share_units(any_store):
    plan = units("k", 30)
    run = any_store.create_run(RunSpec(models=("a",), tasks=()))
    any_store.add_units(run, plan)
    any_store.add_units(run, plan)
    assert any_store.counts()["units"] == 30
    assert [r.key for r in any_store.results(run)] == [u.key for u in plan]

    other = any_store.create_run(RunSpec(models=("b",), tasks=()))
    any_store.add_units(other, plan[:10])
    expected = {"runs": 2, "units": 30, "responses": 0, "scores": 0, "errors": 0, "battles": 0}
    assert any_store.counts() == expected
    assert [r.key for r in any_store.results(other)] == [u.key for u in plan[:10]]


def test_a_corrected_sample_replaces_the_stored_one_and_its_score(any_store):
    first = unit("k1")
    run1 = any_store.create_run(RunSpec(models=("n1",), tasks=()))
    any_store.add_units(run1, [first, unit("k2")])
    any_store.put_response("k1", {"text": "a"}, latency_s=0.1, attempts=1)
    any_store.put_response("k2", {"text": "b"}, latency_s=0.1, attempts=1)
    any_store.put_scores([("k1", {"acc": 1.0}, "a"), ("k2", {"acc": 0.0}, "b")])
    fixed = UnitRecord(**{**first.__dict__, "sample": {"target": "corrected"}})
    run2 = any_store.create_run(RunSpec(models=("n2",), tasks=()))
    any_store.add_units(run2, [fixed, unit("k2")])
    rows = {r.key: r for r in any_store.results(run2)}
    assert rows["k1"].sample == {"target": "corrected"} and rows["k1"].scores is None
    assert rows["k1"].response == {"text": "a"}  # the model's answer is still valid: no new request
    assert rows["k2"].scores == {"acc": 0.0}  # an unchanged sample keeps its score


def test_the_same_sample_from_another_place_keeps_its_score(any_store):
    """The same task file in another checkout: only the location differs, nothing is re-scored."""

    def at(where: str) -> UnitRecord:
        return UnitRecord(**{**unit("k1").__dict__, "sample": {"id": "k1", "metadata": [["where", where]]}})

    here, there = at("/a/x.jsonl:1"), at("/b/x.jsonl:1")
    any_store.add_units(any_store.create_run(RunSpec(models=(), tasks=())), [here])
    any_store.put_response("k1", {"text": "a"}, latency_s=0.1, attempts=1)
    any_store.put_scores([("k1", {"acc": 1.0}, "a")])
    run = any_store.create_run(RunSpec(models=(), tasks=()))
    any_store.add_units(run, [there])
    assert any_store.results(run)[0].scores == {"acc": 1.0}


def test_put_response_is_insert_once(any_store):
    run = any_store.create_run(RunSpec(models=(), tasks=()))
    any_store.add_units(run, [unit("a")])
    assert any_store.put_response("a", {"text": "first"}, latency_s=0.5, attempts=1) is True
    assert any_store.put_response("a", {"text": "second"}, latency_s=0.1, attempts=2) is False
    assert any_store.responses(["a", "missing"]) == {"a": {"text": "first"}}
    assert any_store.counts()["responses"] == 1


def test_an_error_does_not_answer_a_unit(any_store):
    run = any_store.create_run(RunSpec(models=(), tasks=()))
    any_store.add_units(run, units("u", 3))
    any_store.put_error(run, "u0000", "timeout", attempts=3)
    any_store.put_response("u0001", {"text": "ok"}, latency_s=None, attempts=1)
    assert any_store.answered_keys(["u0000", "u0001", "u0002", "nope"]) == {"u0001"}
    assert any_store.answered_keys([]) == set()


def test_results_follow_plan_order_with_response_score_and_last_error(any_store):
    # Plan order is deliberately not key order.
    plan = [unit("z"), unit("a"), unit("m"), unit("b")]
    run = any_store.create_run(RunSpec(models=(), tasks=()))
    any_store.add_units(run, plan)
    any_store.put_error(run, "a", "first failure", attempts=1)
    any_store.put_response("a", {"text": "A"}, latency_s=1.5, attempts=2)  # answered on retry
    any_store.put_error(run, "m", "first failure", attempts=1)
    any_store.put_error(run, "m", "last failure", attempts=4)
    any_store.put_response("z", {"text": "Z"}, latency_s=0.2, attempts=1)
    any_store.put_scores([("z", {"acc": 1.0}, "Z"), ("a", {"acc": 0.0}, "A")])
    other = any_store.create_run(RunSpec(models=(), tasks=()))
    any_store.add_units(other, [unit("b")])
    any_store.put_error(other, "b", "another run's failure", attempts=1)

    rows = any_store.results(run)
    assert [(r.position, r.key) for r in rows] == [(0, "z"), (1, "a"), (2, "m"), (3, "b")]
    z, a, m, b = rows
    assert (z.response, z.latency_s, z.scores, z.extracted) == ({"text": "Z"}, 0.2, {"acc": 1.0}, "Z")
    assert z.error is None
    assert (a.response, a.scores, a.error) == ({"text": "A"}, {"acc": 0.0}, None)
    assert (m.response, m.scores, m.error) == (None, None, "last failure")
    assert (b.response, b.scores, b.error) == (None, None, None)
    assert a.request == {"prompt": "q a", "pad": ""} and a.sample == {"target": "a"}
    assert any_store.results(other)[0].error == "another run's failure"


def test_put_scores_replaces_earlier_scores(any_store):
    run = any_store.create_run(RunSpec(models=(), tasks=()))
    any_store.add_units(run, units("s", 2))
    any_store.put_scores([("s0000", {"acc": 0.0}, "x"), ("s0001", {"acc": 0.0}, None)])
    any_store.put_scores(
        [("s0000", {"acc": 1.0, "f1": 0.5}, "y"), ("s0000", {"acc": 1.0, "f1": 0.75}, "z")]
    )  # the last of a key wins
    rows = {r.key: r for r in any_store.results(run)}
    assert (rows["s0000"].scores, rows["s0000"].extracted) == ({"acc": 1.0, "f1": 0.75}, "z")
    assert (rows["s0001"].scores, rows["s0001"].extracted) == ({"acc": 0.0}, None)
    assert any_store.counts()["scores"] == 2


def test_get_run_by_id_prefix_and_latest(any_store):
    with pytest.raises(StoreError, match="no run"):
        any_store.get_run("latest")
    first = any_store.create_run(RunSpec(models=("n1",), tasks=()))
    second = any_store.create_run(RunSpec(models=("n2",), tasks=()))
    any_store.finish_run(second, "done", RunSummary(answered=5))
    assert any_store.get_run(first).spec == RunSpec(models=("n1",), tasks=())
    assert any_store.get_run(first[:-2]).id == first
    latest = any_store.get_run("latest")
    assert (latest.id, latest.status, latest.summary) == (second, "done", RunSummary(answered=5))
    assert latest.finished_at is not None and any_store.get_run(first).finished_at is None
    assert [r.id for r in any_store.list_runs()] == [second, first]
    for unknown in ["no-such-run", "", first[:4] + "_"]:  # "_" is no LIKE wildcard here
        with pytest.raises(StoreError, match="no run"):
            any_store.get_run(unknown)
    common = os.path.commonprefix([first, second])  # noqa: RUF071 (ids, not paths)
    with pytest.raises(StoreError, match="ambiguous"):
        any_store.get_run(common)


def test_a_store_from_a_newer_assay_is_refused(any_store):
    with any_store.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO schema_version (version, applied_at) VALUES (:v, 0)"), {"v": SCHEMA_VERSION + 1}
        )
    any_store.close()
    with pytest.raises(StoreError, match="upgrade assay") as info:
        Store.open(any_store.url)
    assert "\n" not in str(info.value)


# -- SQLite specifics -------------------------------------------------------------------------------
def test_sqlite_is_in_wal_mode_and_migration_is_idempotent(tmp_path):
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        store.add_units(store.create_run(RunSpec(models=(), tasks=())), units("w", 3))
    with Store.open(db) as store:
        assert store.counts()["units"] == 3
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_sqlite_reads_do_not_wait_for_a_writer(tmp_path):
    db = tmp_path / "r.db"
    store = Store.open(db)
    run = store.create_run(RunSpec(models=(), tasks=()))
    store.add_units(run, units("r", 5))
    store.put_response("r0000", {"text": "ok"}, latency_s=None, attempts=1)

    @event.listens_for(store.engine, "connect")
    def no_waiting(dbapi_conn, _record):
        dbapi_conn.execute("PRAGMA busy_timeout=0")  # a reader that needs the write lock fails at once

    store.engine.dispose()
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO runs (id, created_at, status, spec_json) VALUES ('x', 0, 'running', '{}')")
    try:
        assert len(store.results(run)) == 5
        assert store.answered_keys(["r0000", "r0001"]) == {"r0000"}
        assert store.get_run("latest").id == run  # the writer's run is not committed yet
        with pytest.raises(StoreError, match=r"cannot write.*locked"):
            store.put_response("r0001", {"text": "late"}, latency_s=None, attempts=1)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        store.close()


def test_sqlite_full_disk_is_a_one_line_store_error_and_keeps_earlier_rows(tmp_path):
    db = tmp_path / "full.db"
    store = Store.open(db)
    run = store.create_run(RunSpec(models=("before",), tasks=()))
    store.add_units(run, units("f", 40))
    for u in units("f", 40)[:20]:
        store.put_response(u.key, {"text": u.key}, latency_s=0.1, attempts=1)
    with store.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()

    # The file may not grow past a few more pages: SQLite reports SQLITE_FULL exactly as on a full disk.
    @event.listens_for(store.engine, "connect")
    def cap(dbapi_conn, _record):
        dbapi_conn.execute(f"PRAGMA max_page_count={pages + 4}")

    store.engine.dispose()
    with pytest.raises(StoreError) as info:
        store.add_units(run, units("big", 300, pad=4000))
    message = str(info.value)
    assert "\n" not in message and "is full" in message, message
    with pytest.raises(StoreError, match="is full"):
        for u in units("f", 40)[20:]:
            store.put_response(u.key, {"text": "x" * 20000}, latency_s=0.1, attempts=1)
    store.close()

    with Store.open(db) as reopened:
        rows = reopened.results(run)
        assert [r.key for r in rows] == [u.key for u in units("f", 40)]
        assert [r.response for r in rows[:20]] == [{"text": u.key} for u in units("f", 20)]
        assert reopened.counts()["units"] == 40
        assert reopened.get_run(run).spec.models == ("before",)


# -- bad URLs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "postgresql://nobody:Sup3rSecretPw@127.0.0.1:1/x",  # nothing listens on port 1
        "postgresql://nobody:Sup3rSecretPw@127.0.0.1:notaport/x",
        "postgresql://nobody:Sup3r@SecretPw@127.0.0.1:1/x",  # an unencoded "@" in the password
        "nosuchdb://nobody:Sup3rSecretPw@127.0.0.1:1/x",
    ],
)
def test_a_bad_url_is_a_one_line_store_error_without_the_password(url):
    with pytest.raises(StoreError) as info:
        Store.open(url)
    message = str(info.value)
    assert "\n" not in message and "127.0.0.1" in message, message
    for part in ["Sup3r", "SecretPw"]:
        assert part not in message, message


# -- several processes writing to one store --------------------------------------------------------
N_UNITS, N_SHARED, N_WORKERS = 300, 100, 3


def _plan(worker: int) -> list[UnitRecord]:
    """Some units are shared by every worker (as a cached unit is by runs), in a different order each."""
    plan = units("shared-", N_SHARED) + units(f"w{worker}-", N_UNITS - N_SHARED)
    random.Random(worker).shuffle(plan)
    return plan


def _failed(i: int) -> bool:
    return i % 5 == 4


def _write_a_run(barrier, target: str, worker: int) -> None:
    barrier.wait(timeout=60)
    store = Store.open(target)  # on a fresh database this races the other workers' migration
    run = store.create_run(RunSpec(models=(f"worker{worker}",), tasks=()))
    plan = _plan(worker)
    store.add_units(run, plan)
    for i, u in enumerate(plan):  # one small transaction per answer, as the executor does
        if _failed(i):
            store.put_error(run, u.key, f"failed in {worker}", attempts=3)
        else:
            store.put_response(u.key, {"text": f"{worker}:{u.key}"}, latency_s=0.01, attempts=1)
        if i % 10 == 9:
            store.put_scores(
                [
                    (v.key, {"acc": float(worker)}, None)
                    for j, v in enumerate(plan[i - 9 : i + 1], i - 9)
                    if not _failed(j)
                ]
            )
    store.finish_run(run, "done", RunSummary(workers=worker))
    store.close()


def _run_workers(job, per_worker_args) -> None:
    """Run job(barrier, *args) in separate processes; fail with any worker's traceback."""
    barrier = SPAWN.Barrier(len(per_worker_args))
    outcomes = SPAWN.Queue()
    procs = [SPAWN.Process(target=_call, args=(barrier, outcomes, job, a)) for a in per_worker_args]
    for p in procs:
        p.start()
    results = [outcomes.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    failures = [r for r in results if r != "ok"]
    assert not failures, "\n".join(sorted(failures, key=lambda f: "BrokenBarrierError" in f))
    assert [p.exitcode for p in procs] == [0] * len(procs)


def _call(barrier, outcomes, job, args) -> None:
    try:
        job(barrier, *args)
        outcomes.put("ok")
    except BaseException:
        barrier.abort()  # the others stop waiting for this worker
        outcomes.put(traceback.format_exc())


def _check_concurrent_writes(target) -> None:
    with Store.open(target) as store:
        runs = store.list_runs()
        assert sorted(r.summary.workers for r in runs) == list(range(N_WORKERS))
        assert {r.status for r in runs} == {"done"}
        answered, scored, errors = set(), set(), 0
        for run in runs:
            worker = run.summary.workers
            plan = _plan(worker)
            rows = store.results(run.id)
            assert [r.key for r in rows] == [u.key for u in plan]
            for i, (u, row) in enumerate(zip(plan, rows, strict=True)):
                if _failed(i):
                    errors += 1
                    # The unit may have been answered by another worker: then no error shows.
                    assert row.error == (None if row.response else f"failed in {worker}")
                else:
                    answered.add(u.key)
                    assert row.response is not None and row.scores is not None
                    if not u.key.startswith("shared-"):
                        assert row.response == {"text": f"{worker}:{u.key}"}
                        assert row.scores == {"acc": float(worker)}
                    scored.add(u.key)
        assert store.counts() == {
            "runs": N_WORKERS,
            "units": N_SHARED + N_WORKERS * (N_UNITS - N_SHARED),
            "responses": len(answered),
            "scores": len(scored),
            "errors": errors,
            "battles": 0,
        }


def test_processes_write_to_one_sqlite_file_at_once(tmp_path):
    db = str(tmp_path / "shared.db")
    _run_workers(_write_a_run, [(db, w) for w in range(N_WORKERS)])
    _check_concurrent_writes(db)


@pytest.mark.postgres
def test_processes_write_to_one_postgres_database_at_once(pg_url):
    _run_workers(_write_a_run, [(pg_url, w) for w in range(N_WORKERS)])
    _check_concurrent_writes(pg_url)


def _open_each(barrier, *urls: str) -> None:
    for url in urls:
        barrier.wait(timeout=60)  # every worker opens this database at the same moment
        Store.open(url).close()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_processes_open_a_fresh_store_at_once(backend, request, tmp_path):
    # Several fresh stores, each opened (created, switched to WAL, migrated) by every worker at once.
    if backend == "sqlite":
        targets = [str(tmp_path / f"fresh{i}.db") for i in range(8)]
    else:
        targets = [request.getfixturevalue("pg_server").create_database() for _ in range(8)]
    _run_workers(_open_each, [tuple(targets)] * 4)
    for target in targets:
        with Store.open(target) as store:
            with store.engine.connect() as conn:
                versions = conn.execute(text("SELECT version FROM schema_version ORDER BY version"))
                assert [v for (v,) in versions] == list(range(1, SCHEMA_VERSION + 1))
            assert store.counts()["runs"] == 0


@pytest.mark.postgres
def test_postgres_writers_adding_overlapping_units_do_not_deadlock(pg_url):
    store, other = Store.open(pg_url), Store.open(pg_url)
    run = store.create_run(RunSpec(models=(), tasks=()))
    outcome: list[BaseException | None] = []

    def add_in_plan_order() -> None:
        try:
            store.add_units(run, [unit("b"), unit("a")])
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    # Another writer is half-way through adding the same units, in key order.
    with other.engine.connect() as conn:
        tx = conn.begin()
        conn.execute(insert(UnitRow), [_unit_row("a")])
        thread = threading.Thread(target=add_in_plan_order)
        thread.start()
        _wait_for_a_lock_wait(other)
        conn.execute(insert(UnitRow), [_unit_row("b")])  # closes a cycle unless both lock in one order
        tx.commit()
    thread.join(timeout=60)
    assert outcome == [None]
    assert [r.key for r in store.results(run)] == ["b", "a"]
    store.close()
    other.close()


def _unit_row(key: str) -> dict:
    return dict(
        key=key,
        model="m",
        model_identity_json="{}",
        task="t",
        task_version="1",
        sample_id=key,
        request_json="{}",
        sample_json="{}",
        created_at=0.0,
    )


def _wait_for_a_lock_wait(store: Store) -> None:
    """Until some session of this database waits on a row lock (the writer under test is blocked)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(600):
        with store.engine.connect() as conn:
            if conn.execute(query).scalar_one():
                return
        time.sleep(0.05)
    raise AssertionError("the writer under test never waited for the other writer")
