"""Confidence intervals for Bradley-Terry ratings (bootstrap and sandwich) and ranks from intervals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri
from threadpoolctl import threadpool_limits

from assay.rank.battles import PairCounts, wins_matrix
from assay.rank.bradley_terry import (
    ELO_PER_NATURAL,
    Anchor,
    BradleyTerryFit,
    anchoring_map,
    fit_bradley_terry,
    fit_many,
    to_elo,
)
from assay.rank.errors import RatingError
from assay.rank.graph import is_strongly_connected

# Bootstrap rounds are fitted in batches of about this many (round x model x model) cells.
_BATCH_CELLS = 2_000_000
# Prior used only in a bootstrap round whose resample has no finite MLE (a rarely-seen model
# drew no wins or no losses): weak next to any model with real data, and it keeps the round finite.
FALLBACK_PRIOR = 1.0


@dataclass(frozen=True)
class Interval:
    lower: np.ndarray
    upper: np.ndarray
    method: str  # "bootstrap" | "sandwich"
    level: float


@dataclass(frozen=True)
class BootstrapRatings:
    """Ratings of every bootstrap round (rounds, K) and the quantile interval they give."""

    samples: np.ndarray
    interval: Interval
    fallback_rounds: int  # rounds that needed FALLBACK_PRIOR (see above)


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise RatingError(f"confidence level must be between 0 and 1, got {level}")


def bootstrap_bradley_terry(
    pairs: PairCounts,
    *,
    rounds: int = 100,
    seed: int = 0,
    anchor: Anchor | None = None,
    prior: float = 0.0,
    level: float = 0.95,
    tol: float = 1e-8,
    fit: BradleyTerryFit | None = None,
) -> BootstrapRatings:
    """Resample the aggregated counts (multinomial over the observed cells, total kept), refit each.

    Equivalent to resampling battles with replacement, at O(K^2) per round instead of O(battles).
    The interval is the (1-level)/2 and (1+level)/2 quantiles of the rounds' ratings. `fit`, the
    full-data fit if the caller has it, is where each round's Newton iterations start.
    """
    anchor = anchor or Anchor()
    _check_level(level)
    if fit is None:
        fit = fit_bradley_terry(pairs, anchor=anchor, prior=prior)  # also refuses unratable data
    if rounds < 2:
        raise RatingError(f"the bootstrap needs at least 2 rounds, got {rounds}")
    k = len(pairs.models)
    flat = pairs.counts.reshape(-1)
    cells = np.flatnonzero(flat)
    total = int(flat.sum())
    rng = np.random.default_rng(seed)
    samples = np.empty((rounds, k))
    fallback_rounds = 0
    batch = max(1, _BATCH_CELLS // (k * k))
    for start in range(0, rounds, batch):
        size = min(batch, rounds - start)
        drawn = rng.multinomial(total, flat[cells] / total, size=size)
        resampled = np.zeros((size, k * k * 3), dtype=np.int64)
        resampled[:, cells] = drawn
        wins = wins_matrix(resampled.reshape(size, k, k, 3))
        priors = np.full(size, float(prior))
        if prior == 0:
            unbounded = _unbounded_rounds(wins)
            priors[unbounded] = FALLBACK_PRIOR
            fallback_rounds += int(unbounded.sum())
        strengths = fit_many(wins, priors, tol=tol, start=fit.strengths)
        samples[start : start + size] = to_elo(strengths, pairs.models, anchor)
    tail = (1.0 - level) / 2
    lower, upper = np.quantile(samples, [tail, 1.0 - tail], axis=0)
    return BootstrapRatings(samples, Interval(lower, upper, "bootstrap", level), fallback_rounds)


def _unbounded_rounds(wins: np.ndarray) -> np.ndarray:
    """(B,) bool: rounds whose resample has no finite MLE (wins graph not strongly connected)."""
    # Fast path: every pair has wins both ways in almost every round of a dense arena.
    k = wins.shape[-1]
    dense = np.asarray((wins + np.eye(k) > 0).all(axis=(1, 2)))
    return np.array(
        [not d and not is_strongly_connected(w) for d, w in zip(dense, wins, strict=True)], dtype=bool
    )


def sandwich_covariance(pairs: PairCounts, fit: BradleyTerryFit) -> np.ndarray:
    """Robust (Huber-White) covariance of the anchored Elo ratings, (K, K).

    bread = Fisher information sum_n p(1-p) x x'; meat = sum_n (y - p)^2 x x' with x = e_a - e_b,
    both summed from the counts. Ties make the meat smaller than the bread, which the plain inverse
    Fisher information would miss.
    """
    k = len(pairs.models)
    s = fit.strengths
    p = 1.0 / (1.0 + np.exp(s[None, :] - s[:, None]))  # p[a, b] = P(a beats b)
    games = pairs.games().astype(np.float64)
    bread = _laplacian(games * p * (1.0 - p)) + fit.prior * np.eye(k)
    counts = pairs.counts.astype(np.float64)
    scores = np.array([0.0, 0.5, 1.0])  # score of model_a per outcome code
    squared = (counts * (scores[None, None, :] - p[:, :, None]) ** 2).sum(axis=2)
    meat = _laplacian(squared + squared.T)
    if fit.prior == 0:
        # Pseudo-inverse of a connected graph's Laplacian: (L + J/K)^-1 - J/K.
        flat = np.full((k, k), 1.0 / k)
        bread_inv = np.linalg.inv(bread + flat) - flat
    else:
        bread_inv = np.linalg.inv(bread)
    cov = bread_inv @ meat @ bread_inv
    # Anchoring is a linear map of the strengths: centre them, or subtract the reference model's.
    centre = anchoring_map(fit.models, fit.anchor)
    return centre @ cov @ centre.T * ELO_PER_NATURAL**2


def sandwich_intervals(pairs: PairCounts, fit: BradleyTerryFit, *, level: float = 0.95) -> Interval:
    """Normal intervals rating +- z * robust standard error."""
    _check_level(level)
    with threadpool_limits(limits=1, user_api="blas"):  # K x K products: threads only add contention
        cov = sandwich_covariance(pairs, fit)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    z = float(ndtri(0.5 + level / 2))
    return Interval(fit.ratings - z * se, fit.ratings + z * se, "sandwich", level)


def _laplacian(weights: np.ndarray) -> np.ndarray:
    return np.diag(weights.sum(axis=1)) - weights


def ranks_from_intervals(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Rank = 1 + number of models whose lower bound is above this model's upper bound."""
    return 1 + (lower[None, :] > upper[:, None]).sum(axis=1)
