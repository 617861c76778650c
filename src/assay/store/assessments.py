"""Transparency assessments in the store: one row per assessment, one per scored indicator, and an
append-only history of every change (initial scores, edits, developer rebuttals)."""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Float, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from assay.core.errors import StoreError
from assay.store.schema import Base

if TYPE_CHECKING:  # the store module imports this one (for the migration)
    from assay.store.store import Store


class AssessmentRow(Base):
    __tablename__ = "assessments"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    developer: Mapped[str] = mapped_column(String(200), index=True)
    model: Mapped[str] = mapped_column(String(200))
    indicator_set: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[float] = mapped_column(Float)


class AssessmentScoreRow(Base):
    __tablename__ = "assessment_scores"
    assessment_id: Mapped[str] = mapped_column(String(32), ForeignKey("assessments.id"), primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    evidence_json: Mapped[str] = mapped_column(Text)  # [{"url": ..., "quote": ...}, ...]
    justification: Mapped[str] = mapped_column(Text)
    assessor: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[float] = mapped_column(Float)


class AssessmentChangeRow(Base):
    __tablename__ = "assessment_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assessment_id: Mapped[str] = mapped_column(String(32), ForeignKey("assessments.id"), index=True)
    indicator_id: Mapped[str] = mapped_column(String(200))
    old_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    new_score: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # score | rebuttal | import
    by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[float] = mapped_column(Float)


def v3_assessments(conn: Connection) -> None:
    """Migration: the three assessment tables (no existing table changes)."""
    for table in (AssessmentRow, AssessmentScoreRow, AssessmentChangeRow):
        table.__table__.create(conn, checkfirst=True)  # type: ignore[attr-defined]


def create_assessment(
    store: Store,
    *,
    developer: str,
    model: str,
    indicator_set: str,
    created_by: str,
    assessment_id: str | None = None,
    created_at: float | None = None,
) -> str:
    new_id = assessment_id or uuid.uuid4().hex
    with store._write() as conn:
        if conn.execute(select(AssessmentRow.id).where(AssessmentRow.id == new_id)).first():
            raise StoreError(f"assessment {new_id} already exists")
        conn.execute(
            AssessmentRow.__table__.insert().values(  # type: ignore[attr-defined]
                id=new_id,
                developer=developer,
                model=model,
                indicator_set=indicator_set,
                created_by=created_by,
                created_at=created_at if created_at is not None else time.time(),
            )
        )
    return new_id


def put_score(
    store: Store,
    assessment_id: str,
    indicator_id: str,
    *,
    score: int,
    evidence: list[dict[str, str]],
    justification: str,
    by: str,
    kind: str,
    reason: str = "",
    at: float | None = None,
) -> int | None:
    """Write one indicator's score (insert or replace) and append the change; returns the old score."""
    now = at if at is not None else time.time()
    table = AssessmentScoreRow.__table__  # type: ignore[attr-defined]
    with store._write() as conn:
        old = conn.execute(
            select(AssessmentScoreRow.score).where(
                AssessmentScoreRow.assessment_id == assessment_id,
                AssessmentScoreRow.indicator_id == indicator_id,
            )
        ).scalar_one_or_none()
        values = dict(
            score=score,
            evidence_json=json.dumps(evidence, ensure_ascii=False, sort_keys=True),
            justification=justification,
            assessor=by,
            updated_at=now,
        )
        if old is None:
            conn.execute(
                table.insert().values(assessment_id=assessment_id, indicator_id=indicator_id, **values)
            )
        else:
            conn.execute(
                table.update()
                .where(table.c.assessment_id == assessment_id, table.c.indicator_id == indicator_id)
                .values(**values)
            )
        conn.execute(
            AssessmentChangeRow.__table__.insert().values(  # type: ignore[attr-defined]
                assessment_id=assessment_id,
                indicator_id=indicator_id,
                old_score=old,
                new_score=score,
                kind=kind,
                by=by,
                reason=reason,
                at=now,
            )
        )
    return old


def read_assessment(store: Store, assessment_id: str) -> dict[str, Any]:
    """The assessment, its scores (by indicator id) and its history, oldest change first."""
    with store._read() as conn:
        head = conn.execute(select(AssessmentRow).where(AssessmentRow.id == assessment_id)).first()
        if head is None:
            raise StoreError(f"no assessment {assessment_id!r} in the store")
        scores = conn.execute(
            select(AssessmentScoreRow)
            .where(AssessmentScoreRow.assessment_id == assessment_id)
            .order_by(AssessmentScoreRow.indicator_id)
        ).all()
        history = conn.execute(
            select(AssessmentChangeRow)
            .where(AssessmentChangeRow.assessment_id == assessment_id)
            .order_by(AssessmentChangeRow.id)
        ).all()
    row = head
    return {
        "id": row.id,
        "developer": row.developer,
        "model": row.model,
        "indicator_set": row.indicator_set,
        "created_by": row.created_by,
        "created_at": row.created_at,
        "scores": {
            s.indicator_id: {
                "score": s.score,
                "evidence": json.loads(s.evidence_json),
                "justification": s.justification,
                "assessor": s.assessor,
                "updated_at": s.updated_at,
            }
            for s in scores
        },
        "history": [
            {
                "indicator_id": h.indicator_id,
                "old_score": h.old_score,
                "new_score": h.new_score,
                "kind": h.kind,
                "by": h.by,
                "reason": h.reason,
                "at": h.at,
            }
            for h in history
        ],
    }


def list_assessments(store: Store) -> list[dict[str, Any]]:
    with store._read() as conn:
        rows = conn.execute(select(AssessmentRow).order_by(AssessmentRow.created_at)).all()
    return [
        {
            "id": r.id,
            "developer": r.developer,
            "model": r.model,
            "indicator_set": r.indicator_set,
            "created_by": r.created_by,
            "created_at": r.created_at,
        }
        for r in rows
    ]


def restore_assessment(store: Store, data: dict[str, Any]) -> str:
    """Insert an exported assessment verbatim (its id, scores, evidence and history), in one transaction."""
    with store._write() as conn:
        if conn.execute(select(AssessmentRow.id).where(AssessmentRow.id == data["id"])).first():
            raise StoreError(f"assessment {data['id']} already exists in this store")
        conn.execute(
            AssessmentRow.__table__.insert().values(  # type: ignore[attr-defined]
                id=data["id"],
                developer=data["developer"],
                model=data["model"],
                indicator_set=data["indicator_set"],
                created_by=data["created_by"],
                created_at=data["created_at"],
            )
        )
        for indicator_id, s in data["scores"].items():
            conn.execute(
                AssessmentScoreRow.__table__.insert().values(  # type: ignore[attr-defined]
                    assessment_id=data["id"],
                    indicator_id=indicator_id,
                    score=s["score"],
                    evidence_json=json.dumps(s["evidence"], ensure_ascii=False, sort_keys=True),
                    justification=s["justification"],
                    assessor=s["assessor"],
                    updated_at=s["updated_at"],
                )
            )
        for h in data["history"]:
            conn.execute(
                AssessmentChangeRow.__table__.insert().values(  # type: ignore[attr-defined]
                    assessment_id=data["id"],
                    indicator_id=h["indicator_id"],
                    old_score=h["old_score"],
                    new_score=h["new_score"],
                    kind=h["kind"],
                    by=h["by"],
                    reason=h["reason"],
                    at=h["at"],
                )
            )
    return str(data["id"])
