"""Aggregating per-sample values into a reported mean with its (bootstrap) standard error."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BOOTSTRAP_RESAMPLES = 1000


@dataclass(frozen=True)
class MetricSummary:
    mean: float
    stderr: float | None  # bootstrap standard error of the mean; None with fewer than two values
    n: int


def bootstrap_stderr(
    values: Sequence[float], *, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0
) -> float:
    """Standard deviation of the mean over seeded resamples with replacement (same on every machine).

    Vectorised (a leaderboard holds thousands of model x task cells), in chunks of resamples so that
    a task with many samples never builds one huge index matrix."""
    data = np.asarray(values, dtype=np.float64)
    n = len(data)
    rng = np.random.default_rng(seed)
    chunk = max(1, min(resamples, 2_000_000 // max(n, 1)))
    means = np.empty(resamples)
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        means[start:stop] = data[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    return float(means.std(ddof=1))


def summarize(values: Sequence[float], *, resamples: int = BOOTSTRAP_RESAMPLES) -> MetricSummary:
    n = len(values)
    if n == 0:
        return MetricSummary(mean=math.nan, stderr=None, n=0)
    mean = math.fsum(values) / n
    if n < 2:
        return MetricSummary(mean=mean, stderr=None, n=n)
    return MetricSummary(mean=mean, stderr=bootstrap_stderr(values, resamples=resamples), n=n)
