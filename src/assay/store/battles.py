"""Arena battles in the store: written once per content key, read back as a DataFrame."""

from __future__ import annotations

import hashlib
import json
import math
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from assay.store.schema import BattleRow, table_of

if TYPE_CHECKING:
    import pandas as pd

    from assay.store.store import Store

_TABLE = table_of(BattleRow)
_STYLE_PREFIXES = ("length_", "headers_", "lists_", "bold_")
BATTLE_FIELDS = (
    "model_a",
    "model_b",
    "winner",
    "judge",
    "language",
    "turn",
    "anony",
    "tstamp",
    "question_id",
)


def battle_key(record: dict[str, Any], *, source: str, position: int) -> str:
    """Content key: the battle's own facts; the source and row only when nothing else tells it apart."""
    facts = [record.get(f) for f in BATTLE_FIELDS]
    if record.get("question_id") is None and record.get("tstamp") is None:
        facts += [source, position]  # identical anonymous rows of one file stay distinct
    return hashlib.sha256(json.dumps(facts, default=str).encode()).hexdigest()


def put_battles(store: Store, battles: pd.DataFrame, *, source: str) -> int:
    """Insert battles (columns as assay.rank.arena_io gives them); returns how many were new."""
    style_columns = [c for c in battles.columns if c.startswith(_STYLE_PREFIXES)]
    now = time.time()
    rows: dict[str, dict[str, Any]] = {}
    for position, record in enumerate(battles.to_dict(orient="records")):
        record = {k: _plain(v) for k, v in record.items()}
        key = battle_key(record, source=source, position=position)
        style = {c: record[c] for c in style_columns if record.get(c) is not None}
        rows[key] = dict(
            key=key,
            source=source,
            source_id=record.get("question_id"),
            position=position,
            model_a=record["model_a"],
            model_b=record["model_b"],
            winner=record["winner"],
            judge=record.get("judge"),
            language=record.get("language"),
            turn=None if record.get("turn") is None else int(record["turn"]),
            anony=None if record.get("anony") is None else bool(record["anony"]),
            tstamp=record.get("tstamp"),
            style_json=json.dumps(style) if style else None,
            created_at=now,
        )
    with store.transaction() as conn:
        return store.insert_new(conn, _TABLE, list(rows.values()))


def load_battles(store: Store, *, source: str | None = None) -> pd.DataFrame:
    """Stored battles (optionally of one source) in import order, with style columns when stored."""
    import pandas as pd  # here, not at the top: the live arena writes battles without pandas

    stmt = select(_TABLE).order_by(_TABLE.c.created_at, _TABLE.c.position, _TABLE.c.key)
    if source is not None:
        stmt = stmt.where(_TABLE.c.source == source)
    with store.reading() as conn:
        rows = conn.execute(stmt).mappings().all()
    # object columns keep None as None (pandas would otherwise infer strings with NaN)
    column = {f: "source_id" if f == "question_id" else f for f in BATTLE_FIELDS}
    frame = pd.DataFrame({f: pd.Series([r[column[f]] for r in rows], dtype=object) for f in BATTLE_FIELDS})
    frame["tstamp"] = pd.to_numeric(frame["tstamp"], errors="coerce")
    frame["turn"] = pd.to_numeric(frame["turn"], errors="coerce")
    styles = [json.loads(r["style_json"]) if r["style_json"] else {} for r in rows]
    names = sorted({k for s in styles for k in s})
    for name in names:
        frame[name] = [s.get(name, math.nan) for s in styles]
    return frame


def battle_sources(store: Store) -> dict[str, int]:
    """Battle count per source."""
    stmt = select(_TABLE.c.source, func.count()).group_by(_TABLE.c.source).order_by(_TABLE.c.source)
    with store.reading() as conn:
        return {source: count for source, count in conn.execute(stmt)}


def _plain(value: Any) -> Any:
    """numpy / pandas scalars -> Python; NaN and NA -> None."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    import pandas as pd  # loaded already: the value came out of a DataFrame

    if value is pd.NA:
        return None
    return value
