"""Ratings and leaderboards (pure functions over arrays).

Names load on first use: `from assay.rank import mean_win_rate` must not pay for scipy, which only
the Bradley-Terry side needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from assay.rank.win_rate import mean_win_rate, mean_win_rate_by_group

# name -> module under assay.rank that defines it
_EXPORTS: dict[str, str] = {
    "BattleArrays": "battles",
    "PairCounts": "battles",
    "aggregate_battles": "battles",
    "encode_battles": "battles",
    "pair_counts_from_battles": "battles",
    "ELO_PER_NATURAL": "bradley_terry",
    "Anchor": "bradley_terry",
    "BradleyTerryFit": "bradley_terry",
    "fit_bradley_terry": "bradley_terry",
    "EloParams": "elo",
    "bootstrap_elo": "elo",
    "online_elo": "elo",
    "DisconnectedComparisonError": "errors",
    "RatingError": "errors",
    "check_ratable": "graph",
    "comparison_components": "graph",
    "BootstrapRatings": "intervals",
    "Interval": "intervals",
    "bootstrap_bradley_terry": "intervals",
    "ranks_from_intervals": "intervals",
    "sandwich_covariance": "intervals",
    "sandwich_intervals": "intervals",
    "battle_count_matrix": "matrices",
    "empirical_win_fraction": "matrices",
    "predicted_win_probability": "matrices",
    "RatingRow": "table",
    "RatingTable": "table",
    "bradley_terry_table": "table",
    "build_table": "table",
}

__all__ = [
    "ELO_PER_NATURAL",
    "Anchor",
    "BattleArrays",
    "BootstrapRatings",
    "BradleyTerryFit",
    "DisconnectedComparisonError",
    "EloParams",
    "Interval",
    "PairCounts",
    "RatingError",
    "RatingRow",
    "RatingTable",
    "aggregate_battles",
    "battle_count_matrix",
    "bootstrap_bradley_terry",
    "bootstrap_elo",
    "bradley_terry_table",
    "build_table",
    "check_ratable",
    "comparison_components",
    "empirical_win_fraction",
    "encode_battles",
    "fit_bradley_terry",
    "mean_win_rate",
    "mean_win_rate_by_group",
    "online_elo",
    "pair_counts_from_battles",
    "predicted_win_probability",
    "ranks_from_intervals",
    "sandwich_covariance",
    "sandwich_intervals",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'assay.rank' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"assay.rank.{module}"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from assay.rank.battles import (
        BattleArrays,
        PairCounts,
        aggregate_battles,
        encode_battles,
        pair_counts_from_battles,
    )
    from assay.rank.bradley_terry import ELO_PER_NATURAL, Anchor, BradleyTerryFit, fit_bradley_terry
    from assay.rank.elo import EloParams, bootstrap_elo, online_elo
    from assay.rank.errors import DisconnectedComparisonError, RatingError
    from assay.rank.graph import check_ratable, comparison_components
    from assay.rank.intervals import (
        BootstrapRatings,
        Interval,
        bootstrap_bradley_terry,
        ranks_from_intervals,
        sandwich_covariance,
        sandwich_intervals,
    )
    from assay.rank.matrices import battle_count_matrix, empirical_win_fraction, predicted_win_probability
    from assay.rank.table import RatingRow, RatingTable, bradley_terry_table, build_table
