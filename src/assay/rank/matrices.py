"""Pairwise views of the battles: counts, empirical win fractions, predicted win probabilities."""

from __future__ import annotations

import numpy as np

from assay.rank.battles import A_WINS, B_WINS, PairCounts


def battle_count_matrix(pairs: PairCounts) -> np.ndarray:
    """(K, K) int: battles between i and j in either seat, ties included."""
    return pairs.games()


def decisive_wins(pairs: PairCounts) -> np.ndarray:
    """(K, K) int: battles i won against j in either seat (ties left out)."""
    return pairs.counts[:, :, A_WINS] + pairs.counts[:, :, B_WINS].T


def empirical_win_fraction(pairs: PairCounts) -> np.ndarray:
    """(K, K): share of i's decisive battles against j that i won; NaN where they had none."""
    won = decisive_wins(pairs).astype(np.float64)
    decided = won + won.T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(decided > 0, won / np.where(decided > 0, decided, 1.0), np.nan)


def predicted_win_probability(ratings: np.ndarray, *, scale: float = 400.0, base: float = 10.0) -> np.ndarray:
    """(K, K): P(i beats j) = 1 / (1 + base^((R_j - R_i) / scale)) from Elo-scale ratings."""
    gap = (ratings[None, :] - ratings[:, None]) / scale
    return 1.0 / (1.0 + np.power(base, gap))
