"""The results store (SQLAlchemy 2.0): SQLite in WAL mode by default, PostgreSQL by URL."""

from assay.store.engine import default_db_path, resolve_url
from assay.store.store import ResultRow, RunRecord, Store, UnitRecord

__all__ = ["ResultRow", "RunRecord", "Store", "UnitRecord", "default_db_path", "resolve_url"]
