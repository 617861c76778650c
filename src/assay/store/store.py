"""The results store: every stage writes here and the next stage reads from here.

`Store` owns the connections: `transaction()` for writing, `reading()` for reading, `insert_new` and
`upsert` for keyed rows; the repositories (battles, assessments, arena_live, queue) use only these."""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Select, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from assay.core.errors import StoreError
from assay.core.results import ResultRecord, RunRecord, record_json
from assay.core.spec import RunPlan, RunSpec, RunSummary
from assay.store import bulk
from assay.store.answers import write_answers
from assay.store.database import READ_ONLY, first_line, open_engine, resolve_url, safe_url
from assay.store.migrations import migrate
from assay.store.records import ErrorRecord, ResponseRecord, UnitRecord
from assay.store.schema import (
    Base,
    BattleRow,
    ErrorRow,
    ResponseRow,
    RunRow,
    RunUnitRow,
    ScoreRow,
    UnitRow,
    table_of,
)

__all__ = ["ErrorRecord", "ResponseRecord", "ResultRecord", "RunRecord", "Store", "UnitRecord"]

_RUNS = table_of(RunRow)


def _meaning(sample_json: str) -> Any:
    """A stored sample without its location (metadata "where": file and line), for comparison."""
    data = json.loads(sample_json)
    if isinstance(data, dict) and isinstance(data.get("metadata"), list):
        data["metadata"] = [m for m in data["metadata"] if not (isinstance(m, list) and m[:1] == ["where"])]
    return data


class Store:
    """An open results store (SQLite file or PostgreSQL database), migrated to the current schema."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    @classmethod
    def open(cls, target: str | os.PathLike[str] | None = None) -> Store:
        url = resolve_url(target)
        return cls(open_engine(url, migrate), url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def display_url(self) -> str:
        return safe_url(self.url)

    # -- transactions --------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back when it raises. Storage
        failures become one-line StoreErrors (rows committed by earlier transactions stay)."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            if _is_full(exc):
                raise StoreError(
                    f"the results store {self.display_url} is full (no space left on the "
                    "device); results written before this point are kept"
                ) from None
            msg = first_line(exc)
            raise StoreError(f"cannot write to the results store {self.display_url}: {msg}") from None
        except SQLAlchemyError as exc:
            msg = first_line(exc)
            raise StoreError(f"cannot write to the results store {self.display_url}: {msg}") from None

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only connection (on SQLite it never waits for a writer); failures, connecting or
        mid-query, become one-line StoreErrors."""
        try:
            with self.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot read the results store {self.display_url}: {first_line(exc)}") from None

    @staticmethod
    def insert_new(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
        """In a transaction: insert the rows whose key is new, leave the others; how many were new."""
        return bulk.insert_new(conn, table, rows)

    @staticmethod
    def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
        """In a transaction: insert the rows, replacing those whose key is stored (a key once in rows)."""
        return bulk.upsert(conn, table, rows)

    def fingerprint(self, *tables: str) -> tuple[tuple[Any, ...], ...]:
        """A cheap value that changes when rows of these tables are added, removed or re-stamped
        (per table: the row count and the latest of each time column), for caches of derived views."""
        with self.reading() as conn:
            return tuple(tuple(conn.execute(_marker(name)).one()) for name in tables)

    # -- runs, units, responses, errors, scores ------------------------------------------------
    def create_run(self, spec: RunSpec, plan: RunPlan | None = None) -> str:
        """A new run in state "running"; its spec and plan are recorded with it."""
        run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)
        recorded = record_json(spec, plan or RunPlan())
        with self.transaction() as conn:
            conn.execute(
                insert(RunRow).values(id=run_id, created_at=time.time(), status="running", spec_json=recorded)
            )
        return run_id

    def finish_run(self, run_id: str, status: str, summary: RunSummary | None = None) -> None:
        with self.transaction() as conn:
            conn.execute(
                update(RunRow)
                .where(RunRow.id == run_id)
                .values(
                    status=status,
                    finished_at=time.time(),
                    summary_json=json.dumps(summary.to_json()) if summary is not None else None,
                )
            )

    def add_units(self, run_id: str, units: Sequence[UnitRecord], *, first_position: int = 0) -> None:
        """Units (write-once by key) linked to the run at positions first_position, +1, ...; a unit
        planned again with a corrected sample takes the new sample and loses its score."""
        now = time.time()
        unit_rows: list[dict[str, Any]] = [
            dict(
                key=u.key,
                model=u.model,
                model_identity_json=json.dumps(u.model_identity),
                task=u.task,
                task_version=u.task_version,
                sample_id=u.sample_id,
                request_json=json.dumps(u.request),
                sample_json=json.dumps(u.sample),
                created_at=now,
            )
            for u in units
        ]
        links = [dict(run_id=run_id, unit_key=u.key, position=i) for i, u in enumerate(units, first_position)]
        with self.transaction() as conn:
            bulk.insert_new(conn, table_of(UnitRow), unit_rows)
            self._refresh_samples(conn, {r["key"]: r["sample_json"] for r in unit_rows})
            bulk.insert_new(conn, table_of(RunUnitRow), links)

    def _refresh_samples(self, conn: Connection, wanted: dict[str, str]) -> None:
        """A unit planned again with a corrected sample (a fixed label, a new target) keeps its stored
        response, which the same request would get again, but takes the new sample and loses its
        score, so scoring uses the corrected answer instead of reporting the old result. Where the
        data file lives is not part of the sample's meaning: the same task from another checkout
        changes nothing."""
        changed = []
        for chunk in bulk.chunks(list(wanted)):
            rows = conn.execute(select(UnitRow.key, UnitRow.sample_json).where(UnitRow.key.in_(chunk)))
            changed += [k for k, old in rows if old != wanted[k] and _meaning(old) != _meaning(wanted[k])]
        changed.sort()  # the same lock order as every other writer
        stmt = (update(UnitRow).where(UnitRow.key == bindparam("b_key"))
                .values(sample_json=bindparam("b_sample")))  # fmt: skip
        for chunk in bulk.chunks(changed):
            conn.execute(stmt, [{"b_key": k, "b_sample": wanted[k]} for k in chunk])
            conn.execute(delete(ScoreRow).where(ScoreRow.unit_key.in_(chunk)))

    def put_response(
        self, key: str, response: dict[str, Any], *, latency_s: float | None, attempts: int
    ) -> bool:
        """Store an answer once; a second answer for the same key is ignored. True if written."""
        return self.put_answers([ResponseRecord(key, response, latency_s, attempts)]) > 0

    def put_error(self, run_id: str, key: str, reason: str, *, attempts: int) -> None:
        self.put_answers(errors=[ErrorRecord(run_id, key, reason, attempts)])

    def put_answers(
        self, responses: Sequence[ResponseRecord] = (), errors: Sequence[ErrorRecord] = ()
    ) -> int:
        """In one transaction: the responses (write-once: a key already answered, in the store or earlier
        in `responses`, keeps its first answer) and the errors. Returns how many responses were new."""
        with self.transaction() as conn:
            return write_answers(conn, responses, errors)

    def put_scores(self, scores: Sequence[tuple[str, dict[str, float], str | None]]) -> None:
        """(unit key, metric values, extracted answer); replaces an earlier score of the same unit."""
        now = time.time()
        # Keyed by unit so a key given twice keeps its last score (an upsert may touch a row once).
        rows = {
            k: dict(unit_key=k, values_json=json.dumps(v), extracted=e, created_at=now) for k, v, e in scores
        }
        with self.transaction() as conn:
            bulk.upsert(conn, table_of(ScoreRow), list(rows.values()))

    # -- reads ---------------------------------------------------------------------------------
    def answered_keys(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        found: set[str] = set()
        with self.reading() as conn:
            for chunk in bulk.chunks(keys):
                found.update(
                    conn.execute(
                        select(ResponseRow.unit_key).where(ResponseRow.unit_key.in_(chunk))
                    ).scalars()
                )
        return found

    def responses(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        keys = list(keys)
        out: dict[str, dict[str, Any]] = {}
        with self.reading() as conn:
            for chunk in bulk.chunks(keys):
                rows = conn.execute(
                    select(ResponseRow.unit_key, ResponseRow.response_json).where(
                        ResponseRow.unit_key.in_(chunk)
                    )
                )
                out.update({k: json.loads(v) for k, v in rows})
        return out

    def units(self, keys: Iterable[str]) -> list[UnitRecord]:
        """The planned units with these keys, in the order asked (keys not stored are left out)."""
        keys = list(keys)
        found: dict[str, UnitRecord] = {}
        with self.reading() as conn:
            for chunk in bulk.chunks(keys):
                for row in conn.execute(select(table_of(UnitRow)).where(UnitRow.key.in_(chunk))):
                    found[row.key] = UnitRecord(
                        key=row.key,
                        model=row.model,
                        model_identity=json.loads(row.model_identity_json),
                        task=row.task,
                        task_version=row.task_version,
                        sample_id=row.sample_id,
                        request=json.loads(row.request_json),
                        sample=json.loads(row.sample_json),
                    )
        return [found[k] for k in keys if k in found]

    def error_count(self, run_id: str) -> int:
        """Failed requests recorded for the run (a unit retried in a later run counts there too)."""
        with self.reading() as conn:
            query = select(func.count(func.distinct(ErrorRow.unit_key))).where(ErrorRow.run_id == run_id)
            return int(conn.execute(query).scalar_one())

    def get_run(self, run_id: str) -> RunRecord:
        """Exact id, a unique prefix, or "latest"."""
        with self.reading() as conn:
            if run_id == "latest":
                row = conn.execute(select(_RUNS).order_by(_RUNS.c.created_at.desc()).limit(1)).first()
            else:
                row = conn.execute(select(_RUNS).where(_RUNS.c.id == run_id)).first()
                if row is None and run_id:
                    matches = conn.execute(
                        select(_RUNS).where(_RUNS.c.id.startswith(run_id, autoescape=True)).limit(2)
                    ).all()
                    if len(matches) > 1:
                        raise StoreError(f"run id prefix {run_id!r} is ambiguous; give more characters")
                    row = matches[0] if matches else None
            if row is None:
                raise StoreError(f"no run {run_id!r} in {self.display_url} (see `assay runs`)")
            return _run_record(row)

    def list_runs(self, limit: int = 20) -> list[RunRecord]:
        with self.reading() as conn:
            rows = conn.execute(select(_RUNS).order_by(_RUNS.c.created_at.desc()).limit(limit))
            return [_run_record(r) for r in rows]

    def results(self, run_id: str) -> list[ResultRecord]:
        """Every planned unit of a run, in plan order, joined with its response, score and last error."""
        with self.reading() as conn:
            return [_result_row(run_id, row) for row in conn.execute(_results_query(run_id))]

    def counts(self) -> dict[str, int]:
        with self.reading() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in [
                    ("runs", RunRow),
                    ("units", UnitRow),
                    ("responses", ResponseRow),
                    ("scores", ScoreRow),
                    ("errors", ErrorRow),
                    ("battles", BattleRow),
                ]
            }


_SQLITE_FULL, _PG_DISK_FULL = 13, "53100"


def _is_full(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlite_errorcode", None) or getattr(exc.orig, "sqlstate", None)
    msg = first_line(exc)
    return code in (_SQLITE_FULL, _PG_DISK_FULL) or "disk is full" in msg or "No space left" in msg


def _results_query(run_id: str) -> Select[*tuple[Any, ...]]:
    last_error = (
        select(ErrorRow.unit_key, func.max(ErrorRow.id).label("eid"))
        .where(ErrorRow.run_id == run_id)
        .group_by(ErrorRow.unit_key)
        .subquery()
    )
    return (
        select(
            RunUnitRow.position,
            UnitRow.key,
            UnitRow.model,
            UnitRow.task,
            UnitRow.task_version,
            UnitRow.sample_id,
            UnitRow.request_json,
            UnitRow.sample_json,
            ResponseRow.response_json,
            ResponseRow.latency_s,
            ScoreRow.values_json,
            ScoreRow.extracted,
            ErrorRow.reason,
        )
        .join(UnitRow, UnitRow.key == RunUnitRow.unit_key)
        .outerjoin(ResponseRow, ResponseRow.unit_key == RunUnitRow.unit_key)
        .outerjoin(ScoreRow, ScoreRow.unit_key == RunUnitRow.unit_key)
        .outerjoin(last_error, last_error.c.unit_key == RunUnitRow.unit_key)
        .outerjoin(ErrorRow, ErrorRow.id == last_error.c.eid)
        .where(RunUnitRow.run_id == run_id)
        .order_by(RunUnitRow.position)
    )


def _result_row(run_id: str, row: Any) -> ResultRecord:
    return ResultRecord(
        run_id=run_id,
        position=row.position,
        key=row.key,
        model=row.model,
        task=row.task,
        task_version=row.task_version,
        sample_id=row.sample_id,
        request=json.loads(row.request_json),
        sample=json.loads(row.sample_json),
        response=json.loads(row.response_json) if row.response_json else None,
        latency_s=row.latency_s,
        scores=json.loads(row.values_json) if row.values_json else None,
        extracted=row.extracted,
        error=None if row.response_json else row.reason,
    )


def _marker(name: str) -> Select[*tuple[Any, ...]]:
    table = Base.metadata.tables.get(name)
    if table is None:
        raise ValueError(f"no table {name!r} in the store's schema")
    stamps = [func.max(c) for c in table.columns if c.name == "at" or c.name.endswith("_at")]
    return select(func.count(), *stamps).select_from(table)


def _run_record(row: Any) -> RunRecord:
    return RunRecord.from_stored(
        id=row.id,
        created_at=row.created_at,
        finished_at=row.finished_at,
        status=row.status,
        spec_json=row.spec_json,
        summary_json=row.summary_json,
    )
