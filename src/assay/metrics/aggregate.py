"""Aggregating per-sample values into a reported mean with its standard error."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MetricSummary:
    mean: float
    stderr: float | None  # standard error of the mean; None with fewer than two values
    n: int


def summarize(values: Sequence[float]) -> MetricSummary:
    n = len(values)
    if n == 0:
        return MetricSummary(mean=math.nan, stderr=None, n=0)
    mean = math.fsum(values) / n
    if n < 2:
        return MetricSummary(mean=mean, stderr=None, n=n)
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    return MetricSummary(mean=mean, stderr=math.sqrt(variance / n), n=n)
