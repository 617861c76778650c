"""Opening the database: SQLite (WAL, immediate transactions) by default, PostgreSQL by URL; migrations."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from assay.core.errors import StoreError
from assay.store.schema import Base, SchemaVersion

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
            raw = "postgresql://" + raw[len("postgres://"):]
        if raw.startswith("postgresql://"):
            raw = "postgresql+psycopg://" + raw[len("postgresql://"):]
        return raw
    path = Path(raw).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the directory for the store {path}: {exc.strerror}") from None
    return f"sqlite:///{path}"


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's begin hook own transactions (pysqlite's implicit BEGIN is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):  # type: ignore[no-untyped-def]
        # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
        # instead of failing with "database is locked" when a reader upgrades.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def open_engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 60})
            _tune_sqlite(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        migrate(engine)
    except StoreError:
        raise
    except ModuleNotFoundError as exc:
        raise StoreError(f"the store URL needs a driver that is not installed ({exc.name}); "
                         "for PostgreSQL: pip install 'assay[postgres]'") from None
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the results store {safe_url(url)}: {first_line(exc)}") from None
    return engine


def safe_url(url: str) -> str:
    """The URL without a password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


# Each migration moves the schema from version i to i+1. Append only; never edit a released step.
def _v1_initial(engine: Engine) -> None:
    Base.metadata.create_all(engine)


MIGRATIONS: list[Callable[[Engine], None]] = [_v1_initial]
SCHEMA_VERSION = len(MIGRATIONS)


def current_version(engine: Engine) -> int:
    if not inspect(engine).has_table("schema_version"):
        return 0
    with engine.connect() as conn:
        versions = conn.execute(select(SchemaVersion.version)).scalars().all()
    return max(versions, default=0)


def migrate(engine: Engine) -> int:
    """Bring the schema up to date; safe to call from several processes at once."""
    version = current_version(engine)
    if version > SCHEMA_VERSION:
        raise StoreError(f"the store was written by a newer assay (schema v{version}, this one knows "
                         f"v{SCHEMA_VERSION}); upgrade assay")
    for step in range(version, SCHEMA_VERSION):
        MIGRATIONS[step](engine)
        SchemaVersion.__table__.create(engine, checkfirst=True)
        with engine.begin() as conn:
            already = conn.execute(select(SchemaVersion.version).where(SchemaVersion.version == step + 1))
            if already.first() is None:
                conn.execute(SchemaVersion.__table__.insert().values(version=step + 1, applied_at=time.time()))
    return SCHEMA_VERSION
