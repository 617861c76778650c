"""Transparency assessments in the store: one row per assessment, one per scored indicator, and an
append-only history of every change (initial scores, edits, developer rebuttals)."""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from assay.core.errors import StoreError
from assay.store.schema import AssessmentChangeRow, AssessmentRow, AssessmentScoreRow, table_of

if TYPE_CHECKING:
    from assay.store.store import Store

_HEADS = table_of(AssessmentRow)
_SCORES = table_of(AssessmentScoreRow)
_CHANGES = table_of(AssessmentChangeRow)


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
    with store.transaction() as conn:
        if conn.execute(select(AssessmentRow.id).where(AssessmentRow.id == new_id)).first():
            raise StoreError(f"assessment {new_id} already exists")
        conn.execute(
            _HEADS.insert().values(
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
    table = _SCORES
    with store.transaction() as conn:
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
            _CHANGES.insert().values(
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
    with store.reading() as conn:
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


def restore_assessment(store: Store, data: dict[str, Any]) -> str:
    """Insert an exported assessment verbatim (its id, scores, evidence and history), in one transaction."""
    with store.transaction() as conn:
        if conn.execute(select(AssessmentRow.id).where(AssessmentRow.id == data["id"])).first():
            raise StoreError(f"assessment {data['id']} already exists in this store")
        conn.execute(
            _HEADS.insert().values(
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
                _SCORES.insert().values(
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
                _CHANGES.insert().values(
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
