"""The results store: every stage writes here and the next stage reads from here."""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from assay.core.errors import StoreError
from assay.store.engine import READ_ONLY, first_line, open_engine, resolve_url, safe_url
from assay.store.schema import BattleRow, ErrorRow, ResponseRow, RunRow, RunUnitRow, ScoreRow, UnitRow

_RUNS = RunRow.__table__
_CHUNK = 500  # rows per statement: keeps SQLite under its bound-parameter limit


@dataclass(frozen=True)
class UnitRecord:
    key: str
    model: str
    model_identity: dict[str, Any]
    task: str
    task_version: str
    sample_id: str
    request: dict[str, Any]
    sample: dict[str, Any]


@dataclass(frozen=True)
class RunRecord:
    id: str
    created_at: float
    finished_at: float | None
    status: str
    spec: dict[str, Any]
    summary: dict[str, Any] | None


@dataclass(frozen=True)
class ResultRow:
    """One planned unit of a run with whatever later stages wrote for it."""

    run_id: str
    position: int
    key: str
    model: str
    task: str
    task_version: str
    sample_id: str
    request: dict[str, Any]
    sample: dict[str, Any]
    response: dict[str, Any] | None
    latency_s: float | None
    scores: dict[str, float] | None
    extracted: str | None
    error: str | None


def _meaning(sample_json: str) -> Any:
    """A stored sample without its location (metadata "where": file and line), for comparison."""
    data = json.loads(sample_json)
    if isinstance(data, dict) and isinstance(data.get("metadata"), list):
        data["metadata"] = [m for m in data["metadata"] if not (isinstance(m, list) and m[:1] == ["where"])]
    return data


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


class Store:
    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    @classmethod
    def open(cls, target: str | os.PathLike[str] | None = None) -> Store:
        url = resolve_url(target)
        return cls(open_engine(url), url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def display_url(self) -> str:
        return safe_url(self.url)

    # -- writes --------------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction; storage failures become one-line StoreErrors (committed rows stay)."""
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

    def _insert_ignore(
        self, conn: Connection, table: Any, rows: list[dict[str, Any]], *, replace: bool = False
    ) -> int:
        """Insert rows, skipping (or with `replace`, overwriting) those whose key exists."""
        if not rows:
            return 0
        dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
        keys = [c.name for c in table.primary_key.columns]
        # One lock order for everyone: two PostgreSQL writers inserting overlapping keys in
        # different orders would otherwise deadlock.
        rows = sorted(rows, key=lambda r: tuple(r[k] for k in keys))
        inserted = 0
        for chunk in _chunks(rows):
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

    def create_run(self, spec: dict[str, Any]) -> str:
        run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)
        with self._write() as conn:
            conn.execute(
                insert(RunRow).values(
                    id=run_id, created_at=time.time(), status="running", spec_json=json.dumps(spec)
                )
            )
        return run_id

    def finish_run(self, run_id: str, status: str, summary: dict[str, Any] | None = None) -> None:
        with self._write() as conn:
            conn.execute(
                update(RunRow)
                .where(RunRow.id == run_id)
                .values(
                    status=status,
                    finished_at=time.time(),
                    summary_json=json.dumps(summary) if summary is not None else None,
                )
            )

    def add_units(self, run_id: str, units: Sequence[UnitRecord]) -> None:
        now = time.time()
        unit_rows = [
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
        links = [dict(run_id=run_id, unit_key=u.key, position=i) for i, u in enumerate(units)]
        with self._write() as conn:
            self._insert_ignore(conn, UnitRow.__table__, unit_rows)
            self._refresh_samples(conn, {r["key"]: r["sample_json"] for r in unit_rows})
            self._insert_ignore(conn, RunUnitRow.__table__, links)

    def _refresh_samples(self, conn: Connection, wanted: dict[str, str]) -> None:
        """A unit planned again with a corrected sample (a fixed label, a new target) keeps its stored
        response, which the same request would get again, but takes the new sample and loses its
        score, so scoring uses the corrected answer instead of reporting the old result. Where the
        data file lives is not part of the sample's meaning: the same task from another checkout
        changes nothing."""
        changed = []
        for chunk in _chunks(list(wanted)):
            rows = conn.execute(select(UnitRow.key, UnitRow.sample_json).where(UnitRow.key.in_(chunk)))
            changed += [k for k, old in rows if old != wanted[k] and _meaning(old) != _meaning(wanted[k])]
        changed.sort()  # the same lock order as every other writer
        stmt = (update(UnitRow).where(UnitRow.key == bindparam("b_key"))
                .values(sample_json=bindparam("b_sample")))  # fmt: skip
        for chunk in _chunks(changed):
            conn.execute(stmt, [{"b_key": k, "b_sample": wanted[k]} for k in chunk])
            conn.execute(delete(ScoreRow).where(ScoreRow.unit_key.in_(chunk)))

    def put_response(
        self, key: str, response: dict[str, Any], *, latency_s: float | None, attempts: int
    ) -> bool:
        """Store an answer once; a second answer for the same key is ignored. True if written."""
        row = dict(
            unit_key=key,
            response_json=json.dumps(response),
            latency_s=latency_s,
            attempts=attempts,
            created_at=time.time(),
        )
        with self._write() as conn:
            return self._insert_ignore(conn, ResponseRow.__table__, [row]) > 0

    def put_error(self, run_id: str, key: str, reason: str, *, attempts: int) -> None:
        with self._write() as conn:
            conn.execute(
                insert(ErrorRow).values(
                    run_id=run_id, unit_key=key, reason=reason, attempts=attempts, created_at=time.time()
                )
            )

    def put_scores(self, scores: Sequence[tuple[str, dict[str, float], str | None]]) -> None:
        """(unit key, metric values, extracted answer); replaces an earlier score of the same unit."""
        now = time.time()
        # Keyed by unit so a key given twice keeps its last score (an upsert may touch a row once).
        rows = {
            k: dict(unit_key=k, values_json=json.dumps(v), extracted=e, created_at=now) for k, v, e in scores
        }
        with self._write() as conn:
            self._insert_ignore(conn, ScoreRow.__table__, list(rows.values()), replace=True)

    # -- reads ---------------------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read-only connection; failures (connecting or mid-query) become one-line StoreErrors."""
        try:
            with self.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot read the results store {self.display_url}: {first_line(exc)}") from None

    def answered_keys(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        found: set[str] = set()
        with self._read() as conn:
            for chunk in _chunks(keys):
                found.update(
                    conn.execute(
                        select(ResponseRow.unit_key).where(ResponseRow.unit_key.in_(chunk))
                    ).scalars()
                )
        return found

    def responses(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        keys = list(keys)
        out: dict[str, dict[str, Any]] = {}
        with self._read() as conn:
            for chunk in _chunks(keys):
                rows = conn.execute(
                    select(ResponseRow.unit_key, ResponseRow.response_json).where(
                        ResponseRow.unit_key.in_(chunk)
                    )
                )
                out.update({k: json.loads(v) for k, v in rows})
        return out

    def get_run(self, run_id: str) -> RunRecord:
        """Exact id, a unique prefix, or "latest"."""
        with self._read() as conn:
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
        with self._read() as conn:
            rows = conn.execute(select(_RUNS).order_by(_RUNS.c.created_at.desc()).limit(limit))
            return [_run_record(r) for r in rows]

    def results(self, run_id: str) -> list[ResultRow]:
        """Every planned unit of a run, in plan order, joined with its response, score and last error."""
        last_error = (
            select(ErrorRow.unit_key, func.max(ErrorRow.id).label("eid"))
            .where(ErrorRow.run_id == run_id)
            .group_by(ErrorRow.unit_key)
            .subquery()
        )
        stmt = (
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
        with self._read() as conn:
            out = []
            for (
                pos,
                key,
                model,
                task,
                version,
                sid,
                req,
                sample,
                resp,
                lat,
                vals,
                extracted,
                err,
            ) in conn.execute(stmt):
                out.append(
                    ResultRow(
                        run_id=run_id,
                        position=pos,
                        key=key,
                        model=model,
                        task=task,
                        task_version=version,
                        sample_id=sid,
                        request=json.loads(req),
                        sample=json.loads(sample),
                        response=json.loads(resp) if resp else None,
                        latency_s=lat,
                        scores=json.loads(vals) if vals else None,
                        extracted=extracted,
                        error=None if resp else err,
                    )
                )
            return out

    def counts(self) -> dict[str, int]:
        with self._read() as conn:
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


def _run_record(row: Any) -> RunRecord:
    return RunRecord(
        id=row.id,
        created_at=row.created_at,
        finished_at=row.finished_at,
        status=row.status,
        spec=json.loads(row.spec_json),
        summary=json.loads(row.summary_json) if row.summary_json else None,
    )
