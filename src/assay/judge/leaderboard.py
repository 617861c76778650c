"""Judge verdicts -> battles -> a Bradley-Terry leaderboard with intervals (an "auto-arena")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from assay.judge.types import Grade, ModelGrade, PairwiseJudgement

if TYPE_CHECKING:
    import pandas as pd

    from assay.rank.table import RatingTable


def battle_source(judge: str) -> str:
    """The store's source name for a judge's battles."""
    return f"judge:{judge}"


def judgements_to_battles(judgements: Sequence[PairwiseJudgement]) -> pd.DataFrame:
    """One battle per judged pair (errors left out), in the arena's columns.

    Inconsistent pairs are already ties. `judge` carries the judge's battle source name.
    """
    import pandas as pd

    rows = [
        {
            "model_a": j.model_a,
            "model_b": j.model_b,
            "winner": j.winner,
            "judge": battle_source(j.judge),
            "turn": j.turn,
            "question_id": j.question_id,
        }
        for j in judgements
        if j.winner is not None
    ]
    columns = ["model_a", "model_b", "winner", "judge", "turn", "question_id"]
    return pd.DataFrame(rows, columns=columns)


def judge_leaderboard(
    battles: pd.DataFrame, *, prior: float = 0.0, ci: str = "bootstrap", rounds: int = 100, seed: int = 0
) -> RatingTable:
    """Bradley-Terry ratings with intervals from judge battles (assay.rank)."""
    from assay.rank import bradley_terry_table, pair_counts_from_battles
    from assay.rank.errors import RatingError

    if battles.empty:
        raise RatingError("no judged battles to rate (every judgement failed?)")
    pairs = pair_counts_from_battles(battles["model_a"], battles["model_b"], battles["winner"])
    return bradley_terry_table(pairs, prior=prior, ci=ci, rounds=rounds, seed=seed)  # type: ignore[arg-type]


def grade_summary(grades: Sequence[Grade]) -> list[ModelGrade]:
    """Mean rating per model (errors counted, not scored), best first."""
    per_model: dict[str, list[Grade]] = {}
    for grade in grades:
        per_model.setdefault(grade.model, []).append(grade)
    rows = []
    for model, items in per_model.items():
        ratings = [g.rating for g in items if g.rating is not None]
        mean = sum(ratings) / len(ratings) if ratings else None
        rows.append(ModelGrade(model, mean, len(ratings), len(items) - len(ratings)))
    return sorted(rows, key=lambda r: (r.mean_rating is None, -(r.mean_rating or 0.0), r.model))
