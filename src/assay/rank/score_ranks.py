"""Rank intervals for a scored leaderboard: how sure is "model A is 2nd"?

A paired bootstrap over samples: each round draws the same sample ids (or, when a task names
clusters, the same clusters) with replacement for every model, recomputes each model's mean per
task and the leaderboard statistic (HELM's mean win rate over tasks; on one task that orders models
by their mean), and ranks the models. A model's rank interval is the central `confidence` share of
its bootstrap ranks. Models are statistically tied when the better one comes out ahead in fewer
than (1 + confidence) / 2 of the rounds; walking down the leaderboard, a new group starts at the
first model the current group's leader beats that reliably.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from assay.core.results import RankInterval

# Bootstrap rounds are drawn in batches of at most this many (round x cluster) cells.
_BATCH_CELLS = 4_000_000


@dataclass(frozen=True)
class TaskScores:
    """One task's per-sample scores: `scores[model][sample_id]`, and the cluster of each sample id."""

    task: str
    scores: Mapping[str, Mapping[str, float]]
    higher_is_better: bool = True
    clusters: Mapping[str, str] | None = None  # sample id -> cluster; None: each sample alone


@dataclass(frozen=True)
class _Cells:
    """A task as (model x cluster) sums and counts, so one round is two matrix products."""

    models: list[int]  # indices into the leaderboard's model list
    sums: np.ndarray  # clusters x models
    counts: np.ndarray  # clusters x models
    sign: float


def _cells(task: TaskScores, index: Mapping[str, int]) -> _Cells:
    models = sorted(m for m in task.scores if task.scores[m])
    ids = sorted({s for m in models for s in task.scores[m]})
    cluster_ids = {s: (task.clusters or {}).get(s, s) for s in ids}
    codes = {c: i for i, c in enumerate(sorted(set(cluster_ids.values())))}
    sums = np.zeros((len(codes), len(models)))
    counts = np.zeros((len(codes), len(models)))
    for column, model in enumerate(models):
        for sample, value in task.scores[model].items():
            sums[codes[cluster_ids[sample]], column] += value
            counts[codes[cluster_ids[sample]], column] += 1
    return _Cells([index[m] for m in models], sums, counts, 1.0 if task.higher_is_better else -1.0)


def _win_rates(means: np.ndarray, sign: float) -> np.ndarray:
    """rounds x models means -> each model's share of the other models it beats (ties count half)."""
    signed = sign * means
    mine, theirs = signed[:, :, None], signed[:, None, :]  # compared, not subtracted: inf - inf is nan
    wins = (mine > theirs).sum(axis=2) + 0.5 * (mine == theirs).sum(axis=2) - 0.5  # the tie with itself
    rates: np.ndarray = wins / (means.shape[1] - 1)
    return rates


def _statistic(cells: Sequence[_Cells], weights: Sequence[np.ndarray], n_models: int) -> np.ndarray:
    """rounds x models mean win rate, given per task the (rounds x clusters) resampling weights."""
    rounds = weights[0].shape[0]
    total = np.zeros((rounds, n_models))
    tasks = np.zeros(n_models)
    for cell, weight in zip(cells, weights, strict=True):
        if len(cell.models) < 2:
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            means = (weight @ cell.sums) / (weight @ cell.counts)
        # A model none of whose samples was drawn this round has no mean: it loses that round.
        means = np.where(np.isnan(means), -np.inf * cell.sign, means)
        total[:, cell.models] += _win_rates(means, cell.sign)
        tasks[cell.models] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / np.where(tasks > 0, tasks, np.nan)


def _ranks(statistic: np.ndarray) -> np.ndarray:
    """1 + the number of models strictly better, per round (NaN statistics rank last)."""
    filled = np.nan_to_num(statistic, nan=-np.inf)
    better = (filled[:, None, :] > filled[:, :, None]).sum(axis=2)
    ranks: np.ndarray = 1 + better
    return ranks


def _bootstrap(cells: Sequence[_Cells], n_models: int, resamples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    widest = max(len(c.sums) for c in cells)
    chunk = max(1, min(resamples, _BATCH_CELLS // max(widest, 1)))
    out = np.empty((resamples, n_models))
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        weights = []
        for cell in cells:
            n = len(cell.sums)
            draws = rng.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
            weights.append(np.bincount(draws.ravel(), minlength=size * n).reshape(size, n).astype(float))
        out[start : start + size] = _statistic(cells, weights, n_models)
    return out


def rank_intervals(
    tasks: Sequence[TaskScores], *, resamples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> list[RankInterval]:
    """Each model's rank with its interval and tie group, best first (pure; seeded)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    models = sorted({m for t in tasks for m, s in t.scores.items() if s})
    if not models:
        return []
    index = {m: i for i, m in enumerate(models)}
    cells = [_cells(t, index) for t in tasks if any(t.scores.values())]
    full = _statistic(cells, [np.ones((1, len(c.sums))) for c in cells], len(models))
    point_ranks = _ranks(full)[0]
    boot = _bootstrap(cells, len(models), resamples, seed)
    boot_ranks = _ranks(boot)
    tail = (1 - confidence) / 2
    low = np.quantile(boot_ranks, tail, axis=0, method="lower")
    high = np.quantile(boot_ranks, 1 - tail, axis=0, method="higher")
    order = sorted(range(len(models)), key=lambda i: (point_ranks[i], models[i]))
    groups = _groups(order, np.nan_to_num(boot, nan=-np.inf), (1 + confidence) / 2)
    return [
        RankInterval(
            model=models[i],
            rank=int(point_ranks[i]),
            low=int(low[i]),
            high=int(high[i]),
            group=groups[i],
            statistic=float(full[0, i]),
        )
        for i in order
    ]


def _groups(order: Sequence[int], boot: np.ndarray, level: float) -> dict[int, int]:
    """Tiers down the leaderboard: a model joins its leader's group unless the leader beats it in at
    least `level` of the rounds (ties count half), then it leads the next group."""
    groups: dict[int, int] = {}
    leader, group = order[0], 1
    for i in order:
        ahead = float(np.mean((boot[:, leader] > boot[:, i]) + 0.5 * (boot[:, leader] == boot[:, i])))
        if i != leader and ahead >= level:
            leader, group = i, group + 1
        groups[i] = group
    return groups
