"""Bradley-Terry maximum likelihood on aggregated pair counts (Newton's method, batched).

P(i beats j) = 1 / (1 + exp(s_j - s_i)); ties count as half a win each way. Strengths s are fitted
in natural (log-odds) units and published on the Elo scale: rating = s * 400 / ln 10 + offset, so a
400-point gap means 10:1 odds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, xlogy
from threadpoolctl import threadpool_limits

from assay.rank.battles import PairCounts
from assay.rank.errors import RatingError
from assay.rank.graph import check_ratable

ELO_PER_NATURAL = 400.0 / math.log(10.0)


@dataclass(frozen=True)
class Anchor:
    """Where the scale sits: `model` pinned to `value`, or (model None) the mean rating at `value`."""

    model: str | None = None
    value: float = 1000.0


@dataclass(frozen=True)
class BradleyTerryFit:
    models: tuple[str, ...]
    strengths: np.ndarray  # natural units, mean zero
    ratings: np.ndarray  # Elo scale, anchored
    anchor: Anchor
    prior: float
    log_likelihood: float
    iterations: int


def to_elo(strengths: np.ndarray, models: tuple[str, ...], anchor: Anchor) -> np.ndarray:
    """Natural-unit strengths (..., K) -> anchored Elo-scale ratings (..., K)."""
    elo = strengths * ELO_PER_NATURAL
    if anchor.model is None:
        return elo - elo.mean(axis=-1, keepdims=True) + anchor.value
    if anchor.model not in models:
        raise RatingError(f"anchor model {anchor.model!r} has no battles here")
    ref = models.index(anchor.model)
    return elo - elo[..., ref : ref + 1] + anchor.value


def anchoring_map(models: tuple[str, ...], anchor: Anchor) -> np.ndarray:
    """The linear map `to_elo` applies to strengths (before scaling), for carrying covariances through it."""
    k = len(models)
    if anchor.model is None:
        return np.eye(k) - np.full((k, k), 1.0 / k)
    centre = np.eye(k)
    centre[:, models.index(anchor.model)] -= 1.0
    return centre


def fit_bradley_terry(
    pairs: PairCounts,
    *,
    anchor: Anchor | None = None,
    prior: float = 0.0,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> BradleyTerryFit:
    """Maximum-likelihood (or, with `prior` > 0, L2-penalised) Bradley-Terry ratings.

    `prior` is the precision of a zero-mean Gaussian prior on the natural-unit strengths; 0 gives the
    plain MLE, which exists only when every model has both won (or tied) and lost.
    """
    anchor = anchor or Anchor()
    if prior < 0:
        raise RatingError(f"prior must be >= 0, got {prior}")
    check_ratable(pairs, prior=prior)
    wins = pairs.wins()[None]
    strengths, iterations = newton_strengths(wins, np.array([prior]), tol=tol, max_iter=max_iter)
    ll = float(_objective(wins, strengths, _win_probability(strengths), np.array([prior]))[0])
    return BradleyTerryFit(
        models=pairs.models,
        strengths=strengths[0],
        ratings=to_elo(strengths[0], pairs.models, anchor),
        anchor=anchor,
        prior=prior,
        log_likelihood=ll,
        iterations=iterations,
    )


def newton_strengths(
    wins: np.ndarray,
    prior: np.ndarray,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Fit B problems at once. wins (B, K, K), prior (B,) -> mean-zero strengths (B, K), iterations.

    `start` (K,) or (B, K), mean zero, is where Newton begins (default zeros); the bootstrap starts
    from the full-data fit, which is close to every round's answer.

    Each step solves the K x K Newton system of every problem in one batched call; a halving line
    search keeps every step an ascent step, so it converges from zero even with wide rating gaps.
    """
    # Threaded BLAS on many small systems only adds contention (seconds per call on a busy machine).
    with threadpool_limits(limits=1, user_api="blas"):
        return _newton(wins, prior, tol=tol, max_iter=max_iter, start=start)


def _newton(
    wins: np.ndarray, prior: np.ndarray, *, tol: float, max_iter: int, start: np.ndarray | None
) -> tuple[np.ndarray, int]:
    batch, k, _ = wins.shape
    games = wins + np.swapaxes(wins, 1, 2)
    s = np.zeros((batch, k)) if start is None else np.broadcast_to(start, (batch, k)).copy()
    # With no prior the Hessian is singular along (1, ..., 1) (a common shift changes nothing);
    # adding J/K fixes that direction without touching the mean-zero solution.
    flat_fix = np.where(prior == 0, 1.0 / k, 0.0)[:, None, None] * np.ones((1, k, k))
    ridge = prior[:, None, None] * np.eye(k)[None]
    p = _win_probability(s)
    current = _objective(wins, s, p, prior)
    for iteration in range(1, max_iter + 1):
        grad = (wins - games * p).sum(axis=2) - prior[:, None] * s
        hessian = _laplacian(games * p * (1.0 - p)) + ridge + flat_fix
        step = np.linalg.solve(hessian, grad[..., None])[..., 0]
        s, p, current = _line_search(wins, s, step, prior, current)
        if np.abs(step).max() < tol:
            return s, iteration
    return s, max_iter


def _win_probability(s: np.ndarray) -> np.ndarray:
    """(B, K) strengths -> (B, K, K) P(row beats column)."""
    return np.asarray(expit(s[:, :, None] - s[:, None, :]))


def _laplacian(weights: np.ndarray) -> np.ndarray:
    """(B, K, K) symmetric pair weights -> graph Laplacian diag(row sums) - weights."""
    lap = -weights
    idx = np.arange(weights.shape[-1])
    lap[:, idx, idx] += weights.sum(axis=2)
    return lap


def _objective(wins: np.ndarray, s: np.ndarray, p: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Penalised log-likelihood per problem (B,), from the win probabilities p at s."""
    return np.asarray(xlogy(wins, p).sum(axis=(1, 2)) - 0.5 * prior * (s * s).sum(axis=1))


def _line_search(
    wins: np.ndarray, s: np.ndarray, step: np.ndarray, prior: np.ndarray, current: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Halve each problem's step until its objective does not fall; returns s, p and objective."""
    t = np.ones(len(s))
    for _ in range(40):
        trial = s + t[:, None] * step
        p = _win_probability(trial)  # reused by the next Newton step
        value = _objective(wins, trial, p, prior)
        # Near the optimum rounding noise swamps the gain; accept steps that lose only that much.
        ok = value >= current - 1e-12 * np.abs(current)
        if ok.all():
            break
        t = np.where(ok, t, t / 2)
    return trial, p, value


def fit_many(
    wins: np.ndarray,
    prior: np.ndarray,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Strengths for a batch of (B, K, K) wins matrices (used by the bootstrap)."""
    strengths, _ = newton_strengths(wins, prior, tol=tol, max_iter=max_iter, start=start)
    return strengths
