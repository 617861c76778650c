"""Aggregating per-sample values into a reported mean with its (bootstrap) standard error."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

BOOTSTRAP_RESAMPLES = 1000


@dataclass(frozen=True)
class MetricSummary:
    mean: float
    stderr: float | None  # bootstrap standard error of the mean; None with fewer than two values
    n: int


def bootstrap_stderr(
    values: Sequence[float], *, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0
) -> float:
    """Standard deviation of the mean over seeded resamples with replacement (same on every machine)."""
    n = len(values)
    rng = random.Random(seed)
    means = [math.fsum(rng.choices(values, k=n)) / n for _ in range(resamples)]
    centre = math.fsum(means) / resamples
    return math.sqrt(math.fsum((m - centre) ** 2 for m in means) / (resamples - 1))


def summarize(values: Sequence[float], *, resamples: int = BOOTSTRAP_RESAMPLES) -> MetricSummary:
    n = len(values)
    if n == 0:
        return MetricSummary(mean=math.nan, stderr=None, n=0)
    mean = math.fsum(values) / n
    if n < 2:
        return MetricSummary(mean=mean, stderr=None, n=n)
    return MetricSummary(mean=mean, stderr=bootstrap_stderr(values, resamples=resamples), n=n)
