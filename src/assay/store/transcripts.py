"""Agent transcripts in the store: one row per turn under the unit's key, written once (a turn stored
again keeps its first record), read back in turn order."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from assay.store import bulk
from assay.store.schema import AgentTurnRow, table_of

if TYPE_CHECKING:
    from assay.store.store import Store

_TABLE = table_of(AgentTurnRow)


def put_turn(store: Store, unit_key: str, turn: int, record: dict[str, Any]) -> bool:
    """Store turn `turn` (numbered from 1) of the unit's transcript; True if it was new."""
    row = dict(unit_key=unit_key, turn=turn, record_json=json.dumps(record), created_at=time.time())
    with store.transaction() as conn:
        return store.insert_new(conn, _TABLE, [row]) > 0


def turns(store: Store, unit_key: str) -> list[dict[str, Any]]:
    """The unit's turns in order, each record with its `turn` number."""
    with store.reading() as conn:
        rows = conn.execute(
            select(AgentTurnRow.turn, AgentTurnRow.record_json)
            .where(AgentTurnRow.unit_key == unit_key)
            .order_by(AgentTurnRow.turn)
        )
        return [{**json.loads(text), "turn": number} for number, text in rows]


def turn_counts(store: Store, unit_keys: Iterable[str]) -> dict[str, int]:
    """How many turns each unit has stored (units without any are left out)."""
    out: dict[str, int] = {}
    with store.reading() as conn:
        for chunk in bulk.chunks(list(unit_keys)):
            rows = conn.execute(
                select(AgentTurnRow.unit_key, AgentTurnRow.turn).where(AgentTurnRow.unit_key.in_(chunk))
            )
            for key, number in rows:
                out[key] = max(out.get(key, 0), number)
    return out
