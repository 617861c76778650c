"""Opening the database: where it is (a path, $ASSAY_DB or a URL), SQLAlchemy engines with SQLite tuned for
WAL and immediate transactions, PostgreSQL by URL, and URLs and driver messages without passwords."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from assay.core.errors import StoreError

DEFAULT_DB_ENV = "ASSAY_DB"


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("assay", appauthor=False)) / "assay.db"


def resolve_url(target: str | os.PathLike[str] | None) -> str:
    """`None` -> $ASSAY_DB or the user's data dir; a path -> SQLite file; a URL passes through."""
    raw = str(target) if target is not None else os.environ.get(DEFAULT_DB_ENV)
    if not raw:
        raw = str(default_db_path())
    if "://" in raw:
        if raw.startswith("postgres://"):
            raw = "postgresql://" + raw[len("postgres://") :]
        if raw.startswith("postgresql://"):
            raw = "postgresql+psycopg://" + raw[len("postgresql://") :]
        return raw
    path = Path(raw).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the directory for the store {path}: {exc.strerror}") from None
    return f"sqlite:///{path}"


READ_ONLY = "assay_read_only"  # execution option: this connection only reads
_BUSY_TIMEOUT_S = 60  # how long an SQLite writer waits for another one before giving up


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's begin hook own transactions (pysqlite's implicit BEGIN is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_S * 1000}")
        _enable_wal(cur)
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):  # type: ignore[no-untyped-def]
        # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
        # instead of failing with "database is locked" when a reader upgrades. Readers keep a
        # deferred BEGIN: in WAL mode they never wait for a writer.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _enable_wal(cur: sqlite3.Cursor) -> None:
    # Switching a fresh file to WAL while another process opens it can fail with "database is
    # locked" at once: SQLite does not call the busy handler there, so wait here instead.
    deadline = time.monotonic() + _BUSY_TIMEOUT_S
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def open_engine(url: str, prepare: Callable[[Engine], object]) -> Engine:
    """An engine for the URL once `prepare` (the migrations) ran on it; failures: one-line StoreErrors."""
    _check_url(url)
    engine: Engine | None = None
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": _BUSY_TIMEOUT_S})
            _tune_sqlite(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True, connect_args=_pg_connect_args(url))
        prepare(engine)
    except StoreError:
        _dispose(engine)
        raise
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"the store URL needs a driver that is not installed ({exc.name}); "
            "for PostgreSQL: pip install 'assay[postgres]'"
        ) from None
    except (SQLAlchemyError, ValueError) as exc:
        _dispose(engine)
        msg = redact(first_line(exc), url)
        raise StoreError(f"cannot open the results store {safe_url(url)}: {msg}") from None
    return engine


def _dispose(engine: Engine | None) -> None:
    if engine is not None:
        engine.dispose()


def _check_url(url: str) -> None:
    netloc = url.split("://", 1)[1].split("/", 1)[0] if "://" in url else ""
    if netloc.count("@") > 1:
        # Unencoded, the part of the password after "@" would be taken for the host name.
        raise StoreError(
            f"the store URL {_mask_password(url)} has '@' in its user or password; write it as %40"
        )


def _pg_connect_args(url: str) -> dict[str, Any]:
    # libpq waits forever for an unreachable host unless told otherwise.
    if not url.startswith("postgresql"):
        return {}
    try:
        query = make_url(url).query
    except (ArgumentError, ValueError):
        return {}
    return {} if "connect_timeout" in query else {"connect_timeout": 15}


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _mask_password(url)


def _mask_password(url: str) -> str:
    # Greedy up to the last "@" of the host part, so a password holding "@" is masked whole.
    return re.sub(r"(://[^:/@]*):[^/]*@", r"\1:***@", url)


def redact(message: str, url: str) -> str:
    """A driver message with any copy of the URL's password masked."""
    secrets = {m.group(1) for m in re.finditer(r"://[^:/@]*:([^/]*)@", url)}
    with contextlib.suppress(ArgumentError, ValueError):
        secrets.add(make_url(url).password or "")
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        message = message.replace(secret, "***").replace(unquote(secret), "***")
    return message


def first_line(exc: BaseException) -> str:
    """The driver's own message, first line only: what a user needs, without SQLAlchemy's trailer."""
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]
