"""Versioned migrations: each step moves an existing store from version i to i+1.

Append only; never edit a released step. A step names the tables it creates, so a later change to
schema.py does not change what an old step does (when a table of a released step changes, freeze that
step's definition here and add a new step for the change). A fresh store gets the current schema at once
and is stamped with every version."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Connection, Engine, Table, func, insert, inspect, select

from assay.core.errors import StoreError
from assay.store.database import READ_ONLY
from assay.store.schema import Base, SchemaVersion


def _create(conn: Connection, *names: str) -> None:
    tables: list[Table] = [Base.metadata.tables[name] for name in names]
    Base.metadata.create_all(conn, tables=tables, checkfirst=True)


def v1_initial(conn: Connection) -> None:
    """The results tables: runs, the units they planned, responses, errors and scores."""
    _create(conn, "schema_version", "runs", "units", "run_units", "responses", "errors", "scores")


def v2_battles(conn: Connection) -> None:
    """The battles table (no existing table changes)."""
    _create(conn, "battles")


def v3_assessments(conn: Connection) -> None:
    """The three transparency assessment tables (no existing table changes)."""
    _create(conn, "assessments", "assessment_scores", "assessment_changes")


def v4_arena_live(conn: Connection) -> None:
    """The arena_live_battles table (no existing table changes)."""
    _create(conn, "arena_live_battles")


def v5_work_queue(conn: Connection) -> None:
    """The work_queue table for leasing units to workers (no existing table changes)."""
    _create(conn, "work_queue")


def v6_rate_limits(conn: Connection) -> None:
    """The rate_limit_hits table, so web workers share their rate limits (no existing table changes)."""
    _create(conn, "rate_limit_hits")


def v7_contamination(conn: Connection) -> None:
    """The contamination_scans and contamination_hits tables (no existing table changes)."""
    _create(conn, "contamination_scans", "contamination_hits")


def v8_agent_turns(conn: Connection) -> None:
    """The agent_turns table: agent transcripts, one row per turn (no existing table changes)."""
    _create(conn, "agent_turns")


MIGRATIONS: list[Callable[[Connection], None]] = [
    v1_initial,
    v2_battles,
    v3_assessments,
    v4_arena_live,
    v5_work_queue,
    v6_rate_limits,
    v7_contamination,
    v8_agent_turns,
]
SCHEMA_VERSION = len(MIGRATIONS)
_PG_MIGRATE_LOCK = 0x61737361_79  # any fixed key; scoped to the database by PostgreSQL


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table(SchemaVersion.__tablename__):
        return 0
    versions = conn.execute(select(SchemaVersion.version)).scalars().all()
    return max(versions, default=0)


def _refuse_newer(version: int) -> None:
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the store was written by a newer assay (schema v{version}, this one knows "
            f"v{SCHEMA_VERSION}); upgrade assay to use it"
        )


def migrate(engine: Engine) -> int:
    """Bring the schema up to date; safe to call from several processes at once."""
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        version = current_version(conn)  # the common case: up to date, no lock needed
    _refuse_newer(version)
    if version == SCHEMA_VERSION:
        return version
    with engine.begin() as conn:
        # One migrator at a time: SQLite's BEGIN IMMEDIATE already holds the write lock;
        # PostgreSQL would race on CREATE TABLE, so take a lock that lasts until commit.
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_PG_MIGRATE_LOCK)))
        version = current_version(conn)  # another process may have finished meanwhile
        _refuse_newer(version)
        fresh = version == 0 and not inspect(conn).get_table_names()
        steps = [_fresh_schema] if fresh else MIGRATIONS[version:]
        for step in steps:
            step(conn)
        _create(conn, SchemaVersion.__tablename__)
        for v in range(version + 1, SCHEMA_VERSION + 1):
            conn.execute(insert(SchemaVersion).values(version=v, applied_at=time.time()))
    return SCHEMA_VERSION


def _fresh_schema(conn: Connection) -> None:
    Base.metadata.create_all(conn)
