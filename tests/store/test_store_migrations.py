"""Migrations on SQLite and PostgreSQL: an old store (v1, v4) reaches the current schema with its rows
intact, and ends up with the same tables, columns and indexes as a fresh store."""

import pytest
from sqlalchemy import create_engine, delete, inspect, text

from assay.core.spec import RunSpec, TaskConfig
from assay.store import Store, UnitRecord, WorkQueue
from assay.store.migrations import MIGRATIONS, SCHEMA_VERSION, v1_initial, v5_work_queue
from assay.store.schema import SchemaVersion

# A run record as assay 0.1 wrote it: the spec's fields and the plan's side by side, no task_metrics.
OLD_RUN_RECORD = (
    '{"models": ["smollm2-135m"], "tasks": [["gsm8k", {"limit": 2}]], "limit": null, "seed": 0, '
    '"prompt_mode": "auto", "model_args": {}, "sample_ids": null, "max_attempts": 5, "timeout": 600.0, '
    '"unsafe_no_sandbox": false, "prompt_modes": {"gsm8k": "chat"}, '
    '"task_aggregators": {"gsm8k": ["by_group"]}, "model_identities": {}, "code_execution": {}}'
)


def unit(key: str) -> UnitRecord:
    return UnitRecord(key, "m", {"name": "m"}, "t", "1", key, {"prompt": key}, {"target": key})


def test_the_migrations_are_the_released_steps_in_order():
    names = [step.__name__ for step in MIGRATIONS]
    assert names == [
        "v1_initial",
        "v2_battles",
        "v3_assessments",
        "v4_arena_live",
        "v5_work_queue",
        "v6_rate_limits",
        "v7_contamination",
        "v8_agent_turns",
    ]
    assert SCHEMA_VERSION == 8


def _layout(url: str) -> dict:
    """Every table with its columns (name, type, nullable), primary key, foreign keys and indexes."""
    engine = create_engine(url)
    try:
        found = inspect(engine)
        return {
            table: (
                [(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)],
                found.get_pk_constraint(table)["constrained_columns"],
                sorted(
                    (f["referred_table"], tuple(f["constrained_columns"]))
                    for f in found.get_foreign_keys(table)
                ),
                sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in found.get_indexes(table)
                ),
            )
            for table in sorted(found.get_table_names())
        }
    finally:
        engine.dispose()


def _at_version(url: str, version: int) -> None:
    """Make the store at `url` look as version `version` left it: its steps' tables and stamps only."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for step in MIGRATIONS[:version]:
            step(conn)
        stamp = text("INSERT INTO schema_version (version, applied_at) VALUES (:v, 0)")
        conn.execute(stamp, [{"v": v} for v in range(1, version + 1)])
    engine.dispose()


def _stamps(store: Store) -> list[int]:
    with store.reading() as conn:
        return [v for (v,) in conn.execute(text("SELECT version FROM schema_version ORDER BY version"))]


@pytest.mark.parametrize("version", [1, 4])
def test_an_old_store_reaches_the_fresh_schema(two_targets, version):
    old_url, fresh_url = two_targets
    _at_version(old_url, version)
    assert "work_queue" not in _layout(old_url)
    with Store.open(old_url) as store:
        assert _stamps(store) == list(range(1, SCHEMA_VERSION + 1))
    Store.open(fresh_url).close()
    assert _layout(old_url) == _layout(fresh_url)


def test_a_v4_store_keeps_its_rows_and_gains_the_work_queue(any_store):
    run = any_store.create_run(RunSpec(models=("before v5",), tasks=()))
    any_store.add_units(run, [unit("a"), unit("b")])
    any_store.put_response("a", {"text": "A"}, latency_s=0.1, attempts=1)
    with any_store.engine.begin() as conn:  # back to v4: as a store written before leasing existed
        conn.execute(text("DROP TABLE work_queue"))
        conn.execute(delete(SchemaVersion).where(SchemaVersion.version > MIGRATIONS.index(v5_work_queue)))
    any_store.close()

    with Store.open(any_store.url) as store:
        assert "work_queue" in inspect(store.engine).get_table_names()
        assert _stamps(store) == list(range(1, SCHEMA_VERSION + 1))
        assert store.get_run(run).spec.models == ("before v5",)
        assert [(r.key, r.response) for r in store.results(run)] == [("a", {"text": "A"}), ("b", None)]
        queue = WorkQueue(store)
        assert queue.enqueue(run, ["a", "b"]) == 2
        assert queue.claim(run, "w", limit=5, lease_s=10) == ["a", "b"]


def test_a_v1_store_with_rows_is_upgraded_in_place(tmp_path):
    url = f"sqlite:///{tmp_path / 'v1.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        v1_initial(conn)
        conn.execute(text("INSERT INTO schema_version (version, applied_at) VALUES (1, 0)"))
        conn.execute(
            text("INSERT INTO runs (id, created_at, status, spec_json) VALUES ('old', 1, 'done', :spec)"),
            {"spec": OLD_RUN_RECORD},
        )
    engine.dispose()
    with Store.open(url) as store:
        old = store.get_run("old")
        assert old.spec.models == ("smollm2-135m",) and old.spec.tasks == (TaskConfig("gsm8k", {"limit": 2}),)
        assert old.plan.prompt_modes == {"gsm8k": "chat"} and old.plan.task_aggregators == {
            "gsm8k": ("by_group",)
        }
        assert old.plan.task_metrics == {}  # older runs did not record them: the leaderboard falls back
        assert store.counts() == {
            "runs": 1,
            "units": 0,
            "responses": 0,
            "scores": 0,
            "errors": 0,
            "battles": 0,
        }
        assert _stamps(store) == list(range(1, SCHEMA_VERSION + 1))
