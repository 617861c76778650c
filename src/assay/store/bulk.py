"""Keyed bulk writes inside a transaction: insert-if-new and insert-or-replace, in one lock order, chunked."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

CHUNK = 500  # rows (or keys) per statement: keeps SQLite under its bound-parameter limit
T = TypeVar("T")


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def insert_new(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert the rows whose primary key is not stored yet; the others are left as they are.
    Returns how many were inserted."""
    return _insert(conn, table, rows, replace=False)


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert the rows, replacing every non-key column of those whose primary key is stored already.
    A key may appear once in `rows`."""
    return _insert(conn, table, rows, replace=True)


def _insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, replace: bool) -> int:
    if not rows:
        return 0
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    keys = [c.name for c in table.primary_key.columns]
    # One lock order for everyone: two PostgreSQL writers inserting overlapping keys in
    # different orders would otherwise deadlock.
    ordered = sorted(rows, key=lambda r: tuple(r[k] for k in keys))
    inserted = 0
    for chunk in chunks(ordered):
        stmt = dialect.insert(table).values(list(chunk))
        if replace:
            stmt = stmt.on_conflict_do_update(
                index_elements=keys,
                set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys},
            )
        else:
            stmt = stmt.on_conflict_do_nothing()
        # Without preserve_rowcount psycopg reports -1 for an INSERT that returns no rows.
        inserted += max(conn.execute(stmt.execution_options(preserve_rowcount=True)).rowcount, 0)
    return inserted
