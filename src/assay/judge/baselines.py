"""Baselines for ranking candidates from pairwise judgements: round-robin win rate and online Elo."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

# (first, second, score of first: 1 win, 0.5 tie, 0 loss)
Outcome = tuple[int, int, float]


def round_robin_pairs(n: int, *, budget: int | None = None, seed: int = 0) -> list[tuple[int, int]]:
    """Every unordered pair once (or `budget` of them drawn at random), seats and order shuffled."""
    rng = np.random.default_rng(seed)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    order = rng.permutation(len(pairs))
    if budget is not None:
        order = order[: max(0, min(budget, len(pairs)))]
    seats = rng.random(len(order)) < 0.5
    return [(pairs[k][1], pairs[k][0]) if swap else pairs[k] for k, swap in zip(order, seats, strict=True)]


def play(pairs: Sequence[tuple[int, int]], verdict_score: Callable[[int, int], float]) -> list[Outcome]:
    return [(a, b, verdict_score(a, b)) for a, b in pairs]


def win_rates(n: int, outcomes: Sequence[Outcome]) -> np.ndarray:
    """Share of points won per candidate; a candidate that never played gets 0.5."""
    points = np.zeros(n)
    games = np.zeros(n)
    for a, b, score in outcomes:
        points[a] += score
        points[b] += 1.0 - score
        games[a] += 1
        games[b] += 1
    return np.divide(points, games, out=np.full(n, 0.5), where=games > 0)


def elo_ratings(n: int, outcomes: Sequence[Outcome], *, k: float = 16.0) -> np.ndarray:
    """Online Elo (assay.rank) over the outcomes in the order played; unplayed candidates stay at 1000."""
    from assay.rank.battles import A_WINS, B_WINS, TIE, BattleArrays
    from assay.rank.elo import EloParams, online_elo

    if not outcomes:
        return np.full(n, 1000.0)
    codes = {1.0: A_WINS, 0.5: TIE, 0.0: B_WINS}
    battles = BattleArrays(
        models=tuple(str(i) for i in range(n)),
        model_a=np.array([a for a, _, _ in outcomes], dtype=np.int32),
        model_b=np.array([b for _, b, _ in outcomes], dtype=np.int32),
        outcome=np.array([codes[float(s)] for _, _, s in outcomes], dtype=np.int8),
    )
    return online_elo(battles, EloParams(k=k))


def order_by(values: np.ndarray) -> list[int]:
    """Candidates best first by a score (higher is better); ties keep index order."""
    return [int(i) for i in np.argsort(-np.asarray(values), kind="stable")]


def order_scores(order: Sequence[int]) -> np.ndarray:
    """A best-first order -> a score per candidate (first gets the highest)."""
    scores = np.empty(len(order))
    scores[list(order)] = np.arange(len(order), 0, -1, dtype=np.float64)
    return scores


def rank_correlations(scores: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(Kendall's tau-b, Spearman's rho) between predicted scores and true scores."""
    from scipy.stats import kendalltau, spearmanr

    tau = kendalltau(scores, truth).statistic
    rho = spearmanr(scores, truth).statistic
    return float(tau), float(rho)
