"""Published rating tables: rating, interval, rank and battle count per model, best first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from assay.rank.battles import PairCounts
from assay.rank.bradley_terry import Anchor, fit_bradley_terry
from assay.rank.errors import RatingError
from assay.rank.intervals import Interval, bootstrap_bradley_terry, ranks_from_intervals, sandwich_intervals

IntervalMethod = Literal["bootstrap", "sandwich", "none"]


@dataclass(frozen=True)
class RatingRow:
    model: str
    rating: float
    lower: float
    upper: float
    rank: int
    battles: int


@dataclass(frozen=True)
class RatingTable:
    method: str  # "bradley-terry" | "elo" | "bradley-terry+style"
    interval: str  # "bootstrap" | "sandwich" | "none"
    level: float
    rows: tuple[RatingRow, ...]
    notes: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. style coefficients

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "interval": self.interval,
            "level": self.level,
            "notes": list(self.notes),
            **self.extra,
            "ratings": [
                {
                    "model": r.model,
                    "rating": r.rating,
                    "lower": r.lower,
                    "upper": r.upper,
                    "rank": r.rank,
                    "battles": r.battles,
                }
                for r in self.rows
            ],
        }


def build_table(
    models: tuple[str, ...],
    ratings: np.ndarray,
    interval: Interval | None,
    battles: np.ndarray,
    *,
    method: str,
    notes: tuple[str, ...] = (),
    extra: dict[str, Any] | None = None,
) -> RatingTable:
    """Rows sorted best first; refuses to publish a non-finite number."""
    lower = interval.lower if interval else ratings
    upper = interval.upper if interval else ratings
    for name, values in (("rating", ratings), ("lower bound", lower), ("upper bound", upper)):
        if not np.all(np.isfinite(values)):
            bad = models[int(np.flatnonzero(~np.isfinite(values))[0])]
            raise RatingError(f"the {name} of {bad!r} is not a finite number; not publishing this table")
    ranks = ranks_from_intervals(lower, upper)
    order = sorted(range(len(models)), key=lambda i: (-ratings[i], models[i]))
    rows = tuple(
        RatingRow(
            models[i], float(ratings[i]), float(lower[i]), float(upper[i]), int(ranks[i]), int(battles[i])
        )
        for i in order
    )
    return RatingTable(
        method=method,
        interval=interval.method if interval else "none",
        level=interval.level if interval else 0.0,
        rows=rows,
        notes=notes,
        extra=extra or {},
    )


def bradley_terry_table(
    pairs: PairCounts,
    *,
    anchor: Anchor | None = None,
    prior: float = 0.0,
    ci: IntervalMethod = "bootstrap",
    rounds: int = 100,
    seed: int = 0,
    level: float = 0.95,
) -> RatingTable:
    """Fit, interval, rank: the whole Bradley-Terry leaderboard from aggregated counts."""
    fit = fit_bradley_terry(pairs, anchor=anchor, prior=prior)
    notes: tuple[str, ...] = ()
    interval: Interval | None = None
    if ci == "bootstrap":
        boot = bootstrap_bradley_terry(
            pairs, rounds=rounds, seed=seed, anchor=fit.anchor, prior=prior, level=level, fit=fit
        )
        interval = boot.interval
        if boot.fallback_rounds:
            notes = (
                f"{boot.fallback_rounds} of {rounds} bootstrap rounds drew a model with no wins or "
                "no losses and were fitted with a weak prior; its interval is rough",
            )
    elif ci == "sandwich":
        interval = sandwich_intervals(pairs, fit, level=level)
    elif ci != "none":
        raise RatingError(f"unknown interval method {ci!r} (bootstrap, sandwich or none)")
    return build_table(
        pairs.models, fit.ratings, interval, pairs.battles_per_model(), method="bradley-terry", notes=notes
    )
