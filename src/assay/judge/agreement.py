"""Agreement between a judge and humans, and among humans, on pairwise votes.

Votes follow FastChat's MT-Bench human-judgment schema (question_id, model_a, model_b, winner,
judge, turn); our own arena battles have the same columns. A pair is keyed by
(question_id, sorted model names, turn); a vote given with the models the other way round has its
winner flipped, so both sides are compared on the same orientation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from assay.core.errors import DatasetError

PairKey = tuple[str, str, str, int]  # question_id, first model (sorted), second model, turn
_WINNERS = {"model_a": "model_a", "model_b": "model_b", "tie": "tie", "tie (bothbad)": "tie"}


@dataclass(frozen=True)
class Vote:
    question_id: str
    model_a: str
    model_b: str
    winner: str  # model_a | model_b | tie
    judge: str
    turn: int = 1

    def key(self) -> PairKey:
        a, b = sorted((self.model_a, self.model_b))
        return (self.question_id, a, b, self.turn)

    def oriented_winner(self) -> str:
        """The winner relative to the sorted model order of `key()`."""
        if self.model_a <= self.model_b or self.winner == "tie":
            return self.winner
        return "model_b" if self.winner == "model_a" else "model_a"


@dataclass(frozen=True)
class Agreement:
    agree: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.agree / self.total if self.total else None


def vote_from_record(record: Mapping[str, Any], *, where: str = "vote") -> Vote:
    """One row of a human-judgment file -> Vote; "tie (bothbad)" counts as a tie."""
    missing = [f for f in ("question_id", "model_a", "model_b", "winner") if record.get(f) is None]
    if missing:
        raise DatasetError(f"{where}: missing field {missing[0]!r}")
    winner = _WINNERS.get(str(record["winner"]))
    if winner is None:
        raise DatasetError(f"{where}: unknown winner {record['winner']!r} (expected {', '.join(_WINNERS)})")
    judge = record.get("judge", "unknown")
    if isinstance(judge, list | tuple):  # FastChat writes GPT-4 judges as [model, prompt name]
        judge = "/".join(str(part) for part in judge)
    try:
        turn = int(record.get("turn", 1))
    except (TypeError, ValueError):
        raise DatasetError(f"{where}: turn must be an integer, got {record.get('turn')!r}") from None
    return Vote(
        question_id=str(record["question_id"]),
        model_a=str(record["model_a"]),
        model_b=str(record["model_b"]),
        winner=winner,
        judge=str(judge),
        turn=turn,
    )


def group_votes(votes: Iterable[Vote]) -> dict[PairKey, list[Vote]]:
    grouped: dict[PairKey, list[Vote]] = {}
    for vote in votes:
        grouped.setdefault(vote.key(), []).append(vote)
    return grouped


def judge_human_agreement(
    judge_votes: Iterable[Vote],
    human_votes: Iterable[Vote],
    *,
    with_ties: bool = True,
    turn: int | None = None,
) -> Agreement:
    """Each judge vote against every human vote on the same pair (and turn).

    Without ties, a comparison where either side voted tie is left out. A pair the judge voted on
    twice is an error: combine the two orders first (position swap).
    """
    judged: dict[PairKey, Vote] = {}
    for vote in judge_votes:
        if vote.key() in judged:
            raise DatasetError(f"the judge voted twice on {vote.key()}; give one combined vote per pair")
        judged[vote.key()] = vote
    agree = total = 0
    for key, humans in group_votes(human_votes).items():
        mine = judged.get(key)
        if mine is None or (turn is not None and key[3] != turn):
            continue
        for human in humans:
            hit = _compare(mine.oriented_winner(), human.oriented_winner(), with_ties)
            if hit is not None:
                total += 1
                agree += hit
    return Agreement(agree, total)


def human_human_agreement(
    human_votes: Iterable[Vote], *, with_ties: bool = True, turn: int | None = None
) -> Agreement:
    """Every two votes by different people on the same pair (and turn)."""
    agree = total = 0
    for key, votes in group_votes(human_votes).items():
        if turn is not None and key[3] != turn:
            continue
        for x, y in combinations(votes, 2):
            if x.judge == y.judge:
                continue
            hit = _compare(x.oriented_winner(), y.oriented_winner(), with_ties)
            if hit is not None:
                total += 1
                agree += hit
    return Agreement(agree, total)


def _compare(left: str, right: str, with_ties: bool) -> bool | None:
    if not with_ties and "tie" in (left, right):
        return None
    return left == right


def agreement_report(judge_votes: list[Vote], human_votes: list[Vote]) -> dict[str, Any]:
    """Judge-human and human-human agreement, with and without ties, per turn and overall."""
    turns = sorted({v.turn for v in human_votes})
    rows = []
    for turn in [None, *turns]:
        row: dict[str, Any] = {"turn": "all" if turn is None else turn}
        for ties in (True, False):
            suffix = "with_ties" if ties else "without_ties"
            jh = judge_human_agreement(judge_votes, human_votes, with_ties=ties, turn=turn)
            hh = human_human_agreement(human_votes, with_ties=ties, turn=turn)
            row[f"judge_human_{suffix}"] = {"agree": jh.agree, "total": jh.total, "rate": jh.rate}
            row[f"human_human_{suffix}"] = {"agree": hh.agree, "total": hh.total, "rate": hh.rate}
        rows.append(row)
    return {"judge_votes": len(judge_votes), "human_votes": len(human_votes), "rows": rows}
