"""Style control: Bradley-Terry fitted jointly with per-battle style covariates.

logit P(a beats b) = s_a - s_b + x . beta, where x holds the normalised differences of the two
answers' style counts (length, markdown headers, list items, bold spans): (a - b) / (a + b + 1),
standardised over the battles. The s are the "style-controlled" strengths; beta says how much each
style difference moves a vote. Covariates are continuous, so this fit works per battle (O(battles)
per Newton step) rather than on the aggregated pair counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_expit, ndtri
from threadpoolctl import threadpool_limits

from assay.rank.battles import BattleArrays, aggregate_battles
from assay.rank.bradley_terry import ELO_PER_NATURAL, Anchor, anchoring_map, to_elo
from assay.rank.errors import RatingError
from assay.rank.graph import check_ratable
from assay.rank.intervals import Interval

STYLE_FEATURES: tuple[str, ...] = ("length", "headers", "lists", "bold")


@dataclass(frozen=True)
class StyleControlledFit:
    models: tuple[str, ...]
    features: tuple[str, ...]
    strengths: np.ndarray  # natural units, mean zero
    ratings: np.ndarray  # anchored Elo scale, style held equal
    coefficients: np.ndarray  # natural (log-odds) units per standard deviation of each covariate
    anchor: Anchor
    prior: float
    iterations: int


def style_covariates(counts_a: np.ndarray, counts_b: np.ndarray) -> np.ndarray:
    """(N, F) style counts of each side -> (N, F) standardised normalised differences.

    A column with no spread carries no information and is left at zero.
    """
    a = np.asarray(counts_a, dtype=np.float64)
    b = np.asarray(counts_b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise RatingError(
            f"style counts of the two sides must be (battles, features), got {a.shape} and {b.shape}"
        )
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))) or (a < 0).any() or (b < 0).any():
        raise RatingError("style counts must be finite and non-negative")
    diff = (a - b) / (a + b + 1.0)
    spread = diff.std(axis=0)
    centred = diff - diff.mean(axis=0)
    return np.divide(centred, spread, out=np.zeros_like(centred), where=spread > 0)


def fit_style_controlled(
    battles: BattleArrays,
    covariates: np.ndarray,
    *,
    features: tuple[str, ...] = STYLE_FEATURES,
    anchor: Anchor | None = None,
    prior: float = 0.0,
    weights: np.ndarray | None = None,
    tol: float = 1e-9,
    max_iter: int = 100,
) -> StyleControlledFit:
    """Joint maximum likelihood of strengths and style coefficients (Newton with line search)."""
    anchor = anchor or Anchor()
    x = np.asarray(covariates, dtype=np.float64)
    if x.shape != (len(battles), len(features)):
        raise RatingError(
            f"covariates must be (battles, features) = ({len(battles)}, {len(features)}), got {x.shape}"
        )
    if prior < 0:
        raise RatingError(f"prior must be >= 0, got {prior}")
    w = np.ones(len(battles)) if weights is None else np.asarray(weights, dtype=np.float64)
    check_ratable(aggregate_battles(battles, weights=w), prior=prior)
    with threadpool_limits(limits=1, user_api="blas"):
        theta, iterations = _newton(battles, x, w, prior, tol=tol, max_iter=max_iter)
    k = len(battles.models)
    return StyleControlledFit(
        models=battles.models,
        features=features,
        strengths=theta[:k],
        ratings=to_elo(theta[:k], battles.models, anchor),
        coefficients=theta[k:],
        anchor=anchor,
        prior=prior,
        iterations=iterations,
    )


def _newton(
    battles: BattleArrays, x: np.ndarray, w: np.ndarray, prior: float, *, tol: float, max_iter: int
) -> tuple[np.ndarray, int]:
    k, f = len(battles.models), x.shape[1]
    y = battles.outcome / 2.0
    theta = np.zeros(k + f)
    fix = _null_fix(k, f) if prior == 0 else np.zeros((k + f, k + f))
    current = _objective(battles, x, w, y, theta, prior)
    for iteration in range(1, max_iter + 1):
        p = expit(_logit(battles, x, theta, k))
        grad = _scatter(battles, x, w * (y - p), k) - prior * theta
        hessian = _gram(battles, x, w * p * (1.0 - p), k) + prior * np.eye(k + f) + fix
        step = np.linalg.solve(hessian, grad)
        t = 1.0
        for _ in range(40):
            trial = theta + t * step
            value = _objective(battles, x, w, y, trial, prior)
            if value >= current - 1e-12 * abs(current):
                break
            t /= 2
        theta, current = trial, value
        if np.abs(step).max() < tol:
            return theta, iteration
    return theta, max_iter


def _null_fix(k: int, f: int) -> np.ndarray:
    # The likelihood ignores a common shift of the strengths; J/K on that block pins the mean at 0.
    fix = np.zeros((k + f, k + f))
    fix[:k, :k] = 1.0 / k
    return fix


def _logit(battles: BattleArrays, x: np.ndarray, theta: np.ndarray, k: int) -> np.ndarray:
    return np.asarray(theta[battles.model_a] - theta[battles.model_b] + x @ theta[k:])


def _objective(
    battles: BattleArrays, x: np.ndarray, w: np.ndarray, y: np.ndarray, theta: np.ndarray, prior: float
) -> float:
    eta = _logit(battles, x, theta, len(battles.models))
    ll = (w * (y * log_expit(eta) + (1.0 - y) * log_expit(-eta))).sum()
    return float(ll - 0.5 * prior * theta @ theta)


def _scatter(battles: BattleArrays, x: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    """sum_n r_n z_n with z_n = (e_a - e_b, x_n): the gradient's shape."""
    by_model = np.bincount(battles.model_a, r, k) - np.bincount(battles.model_b, r, k)
    return np.concatenate([by_model, x.T @ r])


def _gram(battles: BattleArrays, x: np.ndarray, v: np.ndarray, k: int) -> np.ndarray:
    """sum_n v_n z_n z_n' for z_n = (e_a - e_b, x_n), built from bincounts: O(N F + K^2 + F^2 N)."""
    f = x.shape[1]
    out = np.zeros((k + f, k + f))
    pair = np.bincount(battles.model_a.astype(np.int64) * k + battles.model_b, v, k * k).reshape(k, k)
    pair = pair + pair.T
    out[:k, :k] = np.diag(pair.sum(axis=1)) - pair
    vx = v[:, None] * x
    cross = np.stack(
        [
            np.bincount(battles.model_a, vx[:, j], k) - np.bincount(battles.model_b, vx[:, j], k)
            for j in range(f)
        ],
        axis=1,
    )
    out[:k, k:] = cross
    out[k:, :k] = cross.T
    out[k:, k:] = x.T @ vx
    return out


def style_sandwich(
    battles: BattleArrays, covariates: np.ndarray, fit: StyleControlledFit, *, level: float = 0.95
) -> tuple[Interval, np.ndarray]:
    """Robust intervals for the style-controlled ratings and standard errors of the coefficients."""
    if not 0 < level < 1:
        raise RatingError(f"confidence level must be between 0 and 1, got {level}")
    k, f = len(fit.models), len(fit.features)
    x = np.asarray(covariates, dtype=np.float64)
    theta = np.concatenate([fit.strengths, fit.coefficients])
    p = expit(_logit(battles, x, theta, k))
    y = battles.outcome / 2.0
    with threadpool_limits(limits=1, user_api="blas"):
        bread = _gram(battles, x, p * (1.0 - p), k) + fit.prior * np.eye(k + f)
        meat = _gram(battles, x, (y - p) ** 2, k)
        if fit.prior == 0:
            fix = _null_fix(k, f)
            bread_inv = np.linalg.inv(bread + fix) - fix
        else:
            bread_inv = np.linalg.inv(bread)
        cov = bread_inv @ meat @ bread_inv
    centre = anchoring_map(fit.models, fit.anchor)
    rating_cov = centre @ cov[:k, :k] @ centre.T * ELO_PER_NATURAL**2
    se = np.sqrt(np.clip(np.diag(rating_cov), 0.0, None))
    z = float(ndtri(0.5 + level / 2))
    interval = Interval(fit.ratings - z * se, fit.ratings + z * se, "sandwich", level)
    return interval, np.sqrt(np.clip(np.diag(cov[k:, k:]), 0.0, None))


def style_bootstrap(
    battles: BattleArrays,
    covariates: np.ndarray,
    fit: StyleControlledFit,
    *,
    rounds: int = 100,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[Interval, np.ndarray]:
    """Battles resampled with replacement (as per-battle counts), refitted each round.

    Returns the ratings' quantile interval and the coefficients of every round (rounds, F).
    """
    if rounds < 2:
        raise RatingError(f"the bootstrap needs at least 2 rounds, got {rounds}")
    rng = np.random.default_rng(seed)
    n = len(battles)
    ratings = np.empty((rounds, len(fit.models)))
    coefficients = np.empty((rounds, len(fit.features)))
    for r in range(rounds):
        counts = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        # a resample can leave a rare model unbeaten; the fallback prior keeps that round finite
        one = _fit_round(battles, covariates, fit, counts)
        ratings[r], coefficients[r] = one.ratings, one.coefficients
    tail = (1.0 - level) / 2
    lower, upper = np.quantile(ratings, [tail, 1.0 - tail], axis=0)
    return Interval(lower, upper, "bootstrap", level), coefficients


def _fit_round(
    battles: BattleArrays, covariates: np.ndarray, fit: StyleControlledFit, counts: np.ndarray
) -> StyleControlledFit:
    try:
        return fit_style_controlled(
            battles, covariates, features=fit.features, anchor=fit.anchor, prior=fit.prior, weights=counts
        )
    except RatingError:
        return fit_style_controlled(
            battles,
            covariates,
            features=fit.features,
            anchor=fit.anchor,
            prior=max(fit.prior, 1.0),
            weights=counts,
        )
