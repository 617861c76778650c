"""Contamination scans in the store: one row per scan, one per (task item, kind of match) found.

Plain dicts in and out, so the store knows nothing of how a scan works (assay.contamination does).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from assay.core.errors import StoreError
from assay.store.schema import ContaminationHitRow, ContaminationScanRow, table_of

if TYPE_CHECKING:
    from assay.store.store import Store

_SCANS = table_of(ContaminationScanRow)
_HITS = table_of(ContaminationHitRow)
HIT_FIELDS = (
    "task",
    "sample_id",
    "kind",
    "source",
    "line",
    "offset",
    "similarity",
    "occurrences",
    "evidence",
)


def put_scan(
    store: Store,
    *,
    corpus: Sequence[str],
    settings: dict[str, Any],
    summary: dict[str, Any],
    hits: Sequence[dict[str, Any]],
) -> str:
    """Write a scan and its hits in one transaction; returns the new scan id."""
    scan_id = uuid.uuid4().hex
    with store.transaction() as conn:
        conn.execute(
            _SCANS.insert().values(
                id=scan_id,
                created_at=time.time(),
                corpus_json=json.dumps(list(corpus)),
                settings_json=json.dumps(settings, sort_keys=True),
                summary_json=json.dumps(summary, sort_keys=True),
            )
        )
        if hits:
            conn.execute(
                _HITS.insert(), [{"scan_id": scan_id, **{f: h[f] for f in HIT_FIELDS}} for h in hits]
            )
    return scan_id


def _scan_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "created_at": row.created_at,
        "corpus": json.loads(row.corpus_json),
        "settings": json.loads(row.settings_json),
        "summary": json.loads(row.summary_json),
    }


def list_scans(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    """The newest scans first."""
    query = select(_SCANS).order_by(_SCANS.c.created_at.desc(), _SCANS.c.id).limit(limit)
    with store.reading() as conn:
        return [_scan_dict(r) for r in conn.execute(query)]


def get_scan(store: Store, scan_id: str = "latest") -> dict[str, Any]:
    """A scan by id, unique id prefix, or "latest"."""
    query = select(_SCANS).order_by(_SCANS.c.created_at.desc(), _SCANS.c.id)
    if scan_id != "latest":
        query = query.where(_SCANS.c.id.startswith(scan_id, autoescape=True))
    with store.reading() as conn:
        rows = conn.execute(query.limit(2)).all()
    if not rows:
        raise StoreError(
            "no contamination scan in the store" if scan_id == "latest" else f"no scan {scan_id!r}"
        )
    if scan_id != "latest" and len(rows) > 1 and rows[0].id != scan_id:
        raise StoreError(f"scan id prefix {scan_id!r} is ambiguous")
    return _scan_dict(rows[0])


def scan_hits(store: Store, scan_id: str) -> list[dict[str, Any]]:
    query = (
        select(_HITS)
        .where(_HITS.c.scan_id == scan_id)
        .order_by(_HITS.c.task, _HITS.c.sample_id, _HITS.c.kind)
    )
    with store.reading() as conn:
        return [{f: getattr(r, f) for f in HIT_FIELDS} for r in conn.execute(query)]
