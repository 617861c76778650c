"""The store's public transaction API on SQLite and PostgreSQL: commit, rollback, one-line errors,
keyed bulk writes, and the fingerprint that web caches use."""

import pytest
from sqlalchemy import func, insert, select, text

from assay.core.errors import StoreError
from assay.core.spec import RunSpec
from assay.store import Store, UnitRecord
from assay.store.schema import ResponseRow, RunRow, ScoreRow, UnitRow, table_of

RUNS, RESPONSES, SCORES, UNITS = (
    table_of(RunRow),
    table_of(ResponseRow),
    table_of(ScoreRow),
    table_of(UnitRow),
)


def run_row(run_id: str) -> dict:
    return dict(id=run_id, created_at=1.0, status="running", spec_json="{}")


def unit(key: str) -> UnitRecord:
    return UnitRecord(key, "m", {"name": "m"}, "t", "1", key, {"prompt": key}, {"target": key})


def run_ids(store: Store) -> list[str]:
    with store.reading() as conn:
        return list(conn.execute(select(RUNS.c.id).order_by(RUNS.c.id)).scalars())


def test_a_transaction_commits_when_its_block_ends(any_store):
    with any_store.transaction() as conn:
        conn.execute(insert(RUNS).values(run_row("r1")))
        conn.execute(insert(RUNS).values(run_row("r2")))
    assert run_ids(any_store) == ["r1", "r2"]


def test_a_transaction_rolls_back_everything_when_its_block_raises(any_store):
    with pytest.raises(RuntimeError, match="changed my mind"), any_store.transaction() as conn:
        conn.execute(insert(RUNS).values(run_row("r1")))
        raise RuntimeError("changed my mind")  # not a storage failure: passes through unchanged
    assert run_ids(any_store) == []


def test_a_storage_failure_is_a_one_line_store_error_and_rolls_back(any_store):
    with any_store.transaction() as conn:
        conn.execute(insert(RUNS).values(run_row("kept")))
    with pytest.raises(StoreError) as info, any_store.transaction() as conn:
        conn.execute(insert(RUNS).values(run_row("lost")))
        conn.execute(insert(RUNS).values(run_row("kept")))  # duplicate primary key
    message = str(info.value)
    assert message.startswith("cannot write to the results store") and "\n" not in message, message
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert run_ids(any_store) == ["kept"]


def test_a_failed_read_is_a_one_line_store_error(any_store):
    with pytest.raises(StoreError) as info, any_store.reading() as conn:
        conn.execute(text("SELECT * FROM no_such_table"))
    message = str(info.value)
    assert message.startswith("cannot read the results store") and "\n" not in message, message
    assert "no_such_table" in message


def test_insert_new_keeps_the_first_row_of_a_key_and_counts_the_new_ones(any_store):
    any_store.add_units(any_store.create_run(RunSpec(models=(), tasks=())), [unit("a"), unit("b")])

    def answer(key: str, text_: str) -> dict:
        return dict(
            unit_key=key, response_json=f'{{"text": "{text_}"}}', latency_s=None, attempts=1, created_at=0.0
        )

    with any_store.transaction() as conn:
        assert any_store.insert_new(conn, RESPONSES, [answer("b", "first b")]) == 1
    with any_store.transaction() as conn:
        assert any_store.insert_new(conn, RESPONSES, [answer("b", "second b"), answer("a", "a")]) == 1
        assert any_store.insert_new(conn, RESPONSES, []) == 0
    assert any_store.responses(["a", "b"]) == {"a": {"text": "a"}, "b": {"text": "first b"}}


def test_insert_new_and_upsert_span_several_chunks_in_any_order(any_store):
    keys = [f"k{i:05d}" for i in range(1234)]  # more rows than one statement takes
    plan = [unit(k) for k in reversed(keys)]
    any_store.add_units(any_store.create_run(RunSpec(models=(), tasks=())), plan)
    rows = [dict(unit_key=k, values_json='{"acc": 0.0}', extracted=None, created_at=1.0) for k in keys[::-1]]
    with any_store.transaction() as conn:
        assert any_store.upsert(conn, SCORES, rows) == len(keys)
    again = [dict(r, values_json='{"acc": 1.0}', created_at=2.0) for r in rows[:700]]
    with any_store.transaction() as conn:
        any_store.upsert(conn, SCORES, again)
        assert any_store.insert_new(conn, SCORES, rows) == 0
    with any_store.reading() as conn:
        by_value = dict(
            conn.execute(select(SCORES.c.values_json, func.count()).group_by(SCORES.c.values_json)).all()
        )
    assert by_value == {'{"acc": 1.0}': 700, '{"acc": 0.0}': len(keys) - 700}
    assert any_store.counts()["units"] == len(keys)


def test_the_second_writer_of_a_response_changes_nothing(any_store):
    """Two stores (two connection pools, as two workers have) answer the same unit: the first answer stays."""
    any_store.add_units(any_store.create_run(RunSpec(models=(), tasks=())), [unit("u")])
    with Store.open(any_store.url) as other:
        assert other.put_response("u", {"text": "first"}, latency_s=0.1, attempts=1) is True
        assert any_store.put_response("u", {"text": "second"}, latency_s=0.2, attempts=1) is False
        assert other.put_response("u", {"text": "third"}, latency_s=0.3, attempts=1) is False
    assert any_store.responses(["u"]) == {"u": {"text": "first"}}
    assert any_store.counts()["responses"] == 1


def test_the_fingerprint_changes_with_the_tables_it_names_and_only_then(any_store):
    empty = any_store.fingerprint("runs", "scores")
    assert empty == any_store.fingerprint("runs", "scores")  # reading changes nothing
    run = any_store.create_run(RunSpec(models=(), tasks=()))
    started = any_store.fingerprint("runs", "scores")
    assert started != empty
    any_store.add_units(run, [unit("a")])
    any_store.put_response("a", {"text": "x"}, latency_s=None, attempts=1)
    assert any_store.fingerprint("runs", "scores") == started  # neither runs nor scores changed
    battles = any_store.fingerprint("battles")
    any_store.finish_run(run, "done")
    finished = any_store.fingerprint("runs", "scores")
    assert finished != started  # same number of runs, a new finish time
    any_store.put_scores([("a", {"acc": 1.0}, None)])
    scored = any_store.fingerprint("runs", "scores")
    assert scored != finished
    with any_store.transaction() as conn:  # a re-score at a later time: same row count
        any_store.upsert(conn, SCORES, [dict(unit_key="a", values_json="{}", extracted=None, created_at=9e9)])
    assert any_store.fingerprint("runs", "scores") != scored
    assert any_store.fingerprint("battles") == battles


def test_the_fingerprint_of_an_unknown_table_is_refused(any_store):
    with pytest.raises(ValueError, match="no table 'nope'"):
        any_store.fingerprint("runs", "nope")
