"""The results store (SQLAlchemy 2.0): SQLite in WAL mode by default, PostgreSQL by URL.

`schema` holds every table, `migrations` the versioned steps, `store.Store` the connections and the
results of runs; battles, assessments, arena_live and queue are repositories on top of `Store`."""

from assay.store.database import default_db_path, resolve_url
from assay.store.queue import QueueState, WorkQueue
from assay.store.records import ErrorRecord, ResponseRecord, UnitRecord
from assay.store.store import Store

__all__ = [
    "ErrorRecord",
    "QueueState",
    "ResponseRecord",
    "Store",
    "UnitRecord",
    "WorkQueue",
    "default_db_path",
    "resolve_url",
]
