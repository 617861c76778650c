"""Ratings and leaderboards (pure functions over arrays)."""

from assay.rank.win_rate import mean_win_rate

__all__ = ["mean_win_rate"]
