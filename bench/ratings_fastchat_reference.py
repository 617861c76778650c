"""A re-implementation of FastChat's Bradley-Terry leaderboard method, written for the comparison.

It follows the method of lm-sys/FastChat `fastchat/serve/monitor/rating_systems.py` (compute_bt,
compute_bootstrap_bt) as read there, step for step, in our own code:
  - model ids by pd.factorize over model_a then model_b; outcome 2 / 1 / 0 for a wins / tie / b wins;
  - np.unique(..., axis=0, return_counts=True) over the (a, b, outcome) rows -> unique rows + weights;
  - the weighted logistic loss with outcome/2 as the label and its analytic gradient (np.add.at),
    minimised by scipy L-BFGS-B from zeros (maxiter 100, gtol 1e-6), with alpha = ln 10;
  - ratings * 400 + 1000 (their sum stays zero, so the mean is 1000);
  - bootstrap: np.random.default_rng(0).multinomial(n, weights / sum, size=rounds), weights divided
    by n, one L-BFGS fit per round in a multiprocessing pool of os.cpu_count() workers.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
from functools import partial

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit


def model_ids(df: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    n = len(df)
    ids, names = pd.factorize(pd.concat([df["model_a"], df["model_b"]]))
    return np.column_stack([ids[:n], ids[n:]]), list(names)


def unique_outcomes(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    rows = np.ones((len(df), 3), dtype=np.int32)  # outcome column defaults to 1 = tie
    rows[:, :2], names = model_ids(df)
    rows[(df["winner"] == "model_a").to_numpy(), 2] = 2
    rows[(df["winner"] == "model_b").to_numpy(), 2] = 0
    unique_rows, counts = np.unique(rows, axis=0, return_counts=True)
    return unique_rows[:, :2], unique_rows[:, 2] / 2.0, names, counts.astype(np.float64)


def loss_and_grad(
    r: np.ndarray, pairs: np.ndarray, labels: np.ndarray, weights: np.ndarray, alpha: float
) -> tuple[float, np.ndarray]:
    logit = alpha * (r[pairs[:, 0]] - r[pairs[:, 1]])
    p = expit(logit)
    loss = -float(((labels * np.log(p) + (1.0 - labels) * np.log(1.0 - p)) * weights).sum())
    per_row = -alpha * (labels - p) * weights
    grad = np.zeros_like(r)
    np.add.at(grad, pairs[:, 0], per_row)
    np.add.at(grad, pairs[:, 1], -per_row)
    return loss, grad


def lbfgs_fit(
    pairs: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    n_models: int,
    alpha: float = math.log(10.0),
    tol: float = 1e-6,
) -> np.ndarray:
    result = minimize(
        loss_and_grad,
        np.zeros(n_models),
        args=(pairs, labels, weights, alpha),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 100, "gtol": tol},
    )
    return np.asarray(result.x)


def to_scale(r: np.ndarray) -> np.ndarray:
    return r * 400.0 + 1000.0


def ratings(df: pd.DataFrame) -> pd.Series:
    pairs, labels, names, weights = unique_outcomes(df)
    return pd.Series(to_scale(lbfgs_fit(pairs, labels, weights, len(names))), index=names)


def bootstrap(df: pd.DataFrame, rounds: int, processes: int | None = None) -> pd.DataFrame:
    pairs, labels, names, weights = unique_outcomes(df)
    rng = np.random.default_rng(seed=0)
    drawn = rng.multinomial(n=len(df), pvals=weights / weights.sum(), size=rounds)
    round_weights = drawn.astype(np.float64) / len(df)
    fit_round = partial(lbfgs_fit, pairs, labels, n_models=len(names))
    with mp.Pool(processes or os.cpu_count()) as pool:
        results = list(pool.imap_unordered(fit_round, round_weights))
    return pd.DataFrame(to_scale(np.array(results)), columns=names)
