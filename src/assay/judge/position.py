"""Position swap: combine the two orders of a pair, and measure a judge's biases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assay.judge.types import OrderedJudgement, PairwiseJudgement, Verdict, Winner


def combine_orders(
    forward: OrderedJudgement, backward: OrderedJudgement | None
) -> tuple[Winner | None, bool | None, str | None]:
    """(winner, consistent, error) for model_a = forward.first.

    Both orders must agree for a win; any disagreement (including win vs tie) is inconsistent and
    counts as a tie. A failed or unreadable call in either order is an error: no winner at all.
    """
    errors = [j.error or "no verdict" for j in (forward, backward) if j is not None and j.verdict is None]
    if errors:
        return None, None, "; ".join(errors)
    assert forward.verdict is not None
    first = _as_winner(forward.verdict, swapped=False)
    if backward is None:
        return first, None, None
    assert backward.verdict is not None
    second = _as_winner(backward.verdict, swapped=True)
    if first == second:
        return first, True, None
    return "tie", False, None


def _as_winner(verdict: Verdict, *, swapped: bool) -> Winner:
    if verdict == "tie":
        return "tie"
    shown_first_won = verdict == "A"
    return "model_a" if shown_first_won != swapped else "model_b"


@dataclass(frozen=True)
class PositionStats:
    """One judge's position and length biases over a set of pairwise judgements.

    first_position_win_rate: of the decisive ordered verdicts, the share won by the answer shown
    first (0.5 is unbiased). consistency: of the pairs judged and parsed in both orders, the share
    whose two verdicts agree. longer_answer_win_rate: of the decisive combined verdicts between
    answers of different length, the share won by the longer one. A rate with no data is None.
    """

    judge: str
    pairs: int
    errors: int
    ordered_verdicts: int
    first_position_win_rate: float | None
    consistency: float | None
    tie_rate: float | None
    longer_answer_win_rate: float | None


def position_stats(judgements: Iterable[PairwiseJudgement]) -> list[PositionStats]:
    """Stats per judge, sorted by judge name."""
    by_judge: dict[str, list[PairwiseJudgement]] = {}
    for j in judgements:
        by_judge.setdefault(j.judge, []).append(j)
    return [_stats(name, items) for name, items in sorted(by_judge.items())]


def _stats(judge: str, items: list[PairwiseJudgement]) -> PositionStats:
    ordered = [o for j in items for o in (j.forward, j.backward) if o is not None and o.verdict is not None]
    decisive = [o for o in ordered if o.verdict != "tie"]
    first_wins = sum(o.verdict == "A" for o in decisive)
    both = [j for j in items if j.consistent is not None]
    judged = [j for j in items if j.winner is not None]
    lengthy = [j for j in judged if j.winner != "tie" and j.length_a != j.length_b]
    longer_wins = sum((j.winner == "model_a") == (j.length_a > j.length_b) for j in lengthy)
    return PositionStats(
        judge=judge,
        pairs=len(items),
        errors=sum(j.winner is None for j in items),
        ordered_verdicts=len(ordered),
        first_position_win_rate=_rate(first_wins, len(decisive)),
        consistency=_rate(sum(bool(j.consistent) for j in both), len(both)),
        tie_rate=_rate(sum(j.winner == "tie" for j in judged), len(judged)),
        longer_answer_win_rate=_rate(longer_wins, len(lengthy)),
    )


def _rate(hits: int, total: int) -> float | None:
    return hits / total if total else None
