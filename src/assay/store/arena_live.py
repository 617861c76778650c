"""Live arena battles: a battle is opened with two hidden models, both answers are stored, one vote
closes it and becomes a row of the `battles` table (source "arena-live") for the ratings module."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update

from assay.store.battles import battle_key
from assay.store.schema import BattleRow, LiveBattleRow, table_of

if TYPE_CHECKING:
    from assay.store.store import Store

LIVE_SOURCE = "arena-live"
VOTE_WINNER = {"a": "model_a", "b": "model_b", "tie": "tie", "bothbad": "tie (bothbad)"}
_LIVE = table_of(LiveBattleRow)
_BATTLES = table_of(BattleRow)


@dataclass(frozen=True)
class LiveBattle:
    id: str
    session_id: str
    model_a: str
    model_b: str
    prompt: str
    answer_a: str | None
    answer_b: str | None
    vote: str | None

    @property
    def finished(self) -> bool:
        return self.answer_a is not None and self.answer_b is not None


def open_battle(store: Store, battle_id: str, session_id: str, models: tuple[str, str], prompt: str) -> None:
    with store.transaction() as conn:
        conn.execute(
            _LIVE.insert().values(
                id=battle_id,
                session_id=session_id,
                model_a=models[0],
                model_b=models[1],
                prompt=prompt,
                created_at=time.time(),
            )
        )


def get_battle(store: Store, battle_id: str) -> LiveBattle | None:
    with store.reading() as conn:
        row = conn.execute(select(_LIVE).where(_LIVE.c.id == battle_id)).mappings().first()
    if row is None:
        return None
    return LiveBattle(
        id=row["id"],
        session_id=row["session_id"],
        model_a=row["model_a"],
        model_b=row["model_b"],
        prompt=row["prompt"],
        answer_a=row["answer_a"],
        answer_b=row["answer_b"],
        vote=row["vote"],
    )


def put_answer(store: Store, battle_id: str, side: str, text: str) -> None:
    column = {"a": _LIVE.c.answer_a, "b": _LIVE.c.answer_b}[side]
    with store.transaction() as conn:
        conn.execute(update(_LIVE).where(_LIVE.c.id == battle_id, column.is_(None)).values({column: text}))


def record_vote(store: Store, battle_id: str, session_id: str, vote: str) -> bool:
    """Close the battle with this vote; False when it was already voted, unfinished or not this
    session's. The conditional update and the battles row share one transaction, so a vote is
    counted exactly once however many requests race."""
    winner = VOTE_WINNER[vote]
    now = time.time()
    with store.transaction() as conn:
        done = conn.execute(
            update(_LIVE)
            .where(
                _LIVE.c.id == battle_id,
                _LIVE.c.session_id == session_id,
                _LIVE.c.vote.is_(None),
                _LIVE.c.answer_a.is_not(None),
                _LIVE.c.answer_b.is_not(None),
            )
            .values(vote=vote, voted_at=now)
        )
        if done.rowcount != 1:
            return False
        row = conn.execute(select(_LIVE.c.model_a, _LIVE.c.model_b).where(_LIVE.c.id == battle_id)).one()
        record = {
            "model_a": row.model_a,
            "model_b": row.model_b,
            "winner": winner,
            "judge": session_id,
            "language": None,
            "turn": 1,
            "anony": True,
            "tstamp": now,
            "question_id": battle_id,
        }
        conn.execute(
            _BATTLES.insert().values(
                key=battle_key(record, source=LIVE_SOURCE, position=0),
                source=LIVE_SOURCE,
                source_id=battle_id,
                position=0,
                model_a=row.model_a,
                model_b=row.model_b,
                winner=winner,
                judge=session_id,
                language=None,
                turn=1,
                anony=True,
                tstamp=now,
                style_json=None,
                created_at=now,
            )
        )
    return True


def vote_count(store: Store) -> int:
    with store.reading() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(_LIVE).where(_LIVE.c.vote.is_not(None))
            ).scalar_one()
        )


def delete_live(store: Store) -> int:
    """Admin: remove every live battle and the votes it turned into."""
    with store.transaction() as conn:
        conn.execute(_BATTLES.delete().where(_BATTLES.c.source == LIVE_SOURCE))
        return int(conn.execute(_LIVE.delete()).rowcount or 0)
