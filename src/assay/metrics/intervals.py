"""Confidence intervals for a task's mean score that hold up at the sizes evals really have.

A normal (CLT) interval undercovers below a few hundred items, and a plain standard error is too small
when items share a passage or a template. So: binary scores get a score interval on the binomial
(Wilson, continuity-corrected by default: plain Wilson dips to ~93% coverage at n=50, p=0.5), and
any other scores a t-interval on the cluster-robust standard error, each cluster counted once.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Interval:
    """A mean with its standard error and confidence interval, and the method that produced them."""

    mean: float
    se: float  # standard error of the mean (cluster-robust when clusters were given)
    low: float
    high: float
    method: str  # "wilson-cc", "wilson", "clopper-pearson", "t" or "clustered-t"
    n: int  # items
    clusters: int  # independent units: n when items are unclustered


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _check_counts(successes: int, n: int) -> None:
    if n < 1 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n >= 1, got {successes} of {n}")


def wilson_interval(
    successes: int, n: int, *, confidence: float = 0.95, continuity: bool = False
) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; `continuity=True` adds Yates' correction.

    The interval holds every p whose score test does not reject the observed count, so it never
    leaves [0, 1] and stays sensible at 0 or n successes, where the normal interval collapses."""
    _check_counts(successes, n)
    z = _z(confidence)
    p = successes / n
    denom = 2 * (n + z * z)
    if not continuity:
        centre = 2 * n * p + z * z
        half = z * math.sqrt(z * z + 4 * n * p * (1 - p))
        return max(0.0, (centre - half) / denom), min(1.0, (centre + half) / denom)
    q = 1 - p
    low = 0.0
    if successes > 0:
        root = math.sqrt(max(0.0, z * z - 2 - 1 / n + 4 * p * (n * q + 1)))
        low = max(0.0, (2 * n * p + z * z - 1 - z * root) / denom)
    high = 1.0
    if successes < n:
        root = math.sqrt(max(0.0, z * z + 2 - 1 / n + 4 * p * (n * q - 1)))
        high = min(1.0, (2 * n * p + z * z + 1 + z * root) / denom)
    return low, high


def clopper_pearson_interval(successes: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval: inverts two one-sided binomial tests via beta quantiles.

    Never undercovers; the price is width, most of all near 0 and 1."""
    _check_counts(successes, n)
    tail = (1 - confidence) / 2
    if not 0.0 < tail < 0.5:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    low = 0.0 if successes == 0 else float(stats.beta.ppf(tail, successes, n - successes + 1))
    high = 1.0 if successes == n else float(stats.beta.ppf(1 - tail, successes + 1, n - successes))
    return low, high


def cluster_sums(values: np.ndarray, clusters: Sequence[Hashable] | None) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster sums of `values` and per-cluster item counts (each item its own cluster if None)."""
    if clusters is None:
        return values.astype(np.float64), np.ones(len(values))
    if len(clusters) != len(values):
        raise ValueError(f"{len(clusters)} cluster ids for {len(values)} scores")
    index: dict[Hashable, int] = {}
    codes = np.fromiter(
        (index.setdefault(c, len(index)) for c in clusters), dtype=np.int64, count=len(values)
    )
    sums = np.bincount(codes, weights=values, minlength=len(index))
    counts = np.bincount(codes, minlength=len(index)).astype(np.float64)
    return sums, counts


def clustered_se(scores: Sequence[float] | np.ndarray, clusters: Sequence[Hashable] | None = None) -> float:
    """Cluster-robust standard error of the mean (Miller 2024, eq. 4, with the C/(C-1) correction).

    Residuals from the overall mean are summed within each cluster; the squared sums, added over
    clusters, estimate n^2 Var(mean). Without clusters this is the usual s/sqrt(n). NaN if there is
    only one cluster (no variation between independent units to measure)."""
    values = np.asarray(scores, dtype=np.float64)
    n = len(values)
    if n == 0:
        raise ValueError("no scores")
    residual_sums, _ = cluster_sums(values - values.mean(), clusters)
    c = len(residual_sums)
    if c < 2:
        return math.nan
    variance = c / (c - 1) * float(np.sum(residual_sums**2)) / (n * n)
    return math.sqrt(variance)


def is_binary(values: np.ndarray) -> bool:
    return bool(np.all((values == 0.0) | (values == 1.0)))


def mean_interval(
    scores: Sequence[float] | np.ndarray,
    clusters: Sequence[Hashable] | None = None,
    *,
    confidence: float = 0.95,
    binary_method: str = "wilson-cc",
) -> Interval:
    """The interval a report should print for a task's mean score, with the method it chose.

    Binary scores on independent items: a binomial score interval (`binary_method`: "wilson-cc",
    "wilson" or "clopper-pearson"). Anything else, or items sharing a cluster: mean +- t * clustered
    SE with (clusters - 1) degrees of freedom, which is exact for balanced normal clusters."""
    values = np.asarray(scores, dtype=np.float64)
    n = len(values)
    if n == 0:
        raise ValueError("no scores")
    if not np.all(np.isfinite(values)):
        raise ValueError("scores must be finite numbers")
    n_clusters = n if clusters is None else len(set(clusters))
    mean = float(values.mean())
    se = clustered_se(values, clusters)
    if is_binary(values) and n_clusters == n:
        successes = int(values.sum())
        if binary_method == "clopper-pearson":
            low, high = clopper_pearson_interval(successes, n, confidence=confidence)
        elif binary_method in ("wilson", "wilson-cc"):
            low, high = wilson_interval(
                successes, n, confidence=confidence, continuity=binary_method == "wilson-cc"
            )
        else:
            raise ValueError(f"unknown binary interval method {binary_method!r}")
        return Interval(mean, se, low, high, binary_method, n, n_clusters)
    method = "t" if clusters is None else "clustered-t"
    if math.isnan(se):
        return Interval(mean, se, math.nan, math.nan, method, n, n_clusters)
    _z(confidence)
    half = float(stats.t.ppf(0.5 + confidence / 2, n_clusters - 1)) * se
    return Interval(mean, se, mean - half, mean + half, method, n, n_clusters)


def clustered_wilson_interval(
    scores: Sequence[float] | np.ndarray, clusters: Sequence[Hashable], *, confidence: float = 0.95
) -> Interval:
    """Continuity-corrected Wilson on an effective sample size, for binary scores in clusters.

    The design effect (clustered variance over the binomial one) shrinks n to n / deff, and, as in
    Korn and Graubard (1998), by (z / t_{C-1})^2 more for the few independent clusters the variance
    was estimated from. Unlike mean +- t * SE this stays inside [0, 1] and does not collapse to a
    point when every item is right. With one cluster nothing can be estimated: the interval is NaN."""
    values = np.asarray(scores, dtype=np.float64)
    n, n_clusters = len(values), len(set(clusters))
    mean = float(values.mean())
    se = clustered_se(values, clusters)
    if n_clusters < 2:
        return Interval(mean, se, math.nan, math.nan, "clustered-wilson", n, n_clusters)
    binomial_variance = mean * (1 - mean) / n
    # At 0 or n successes there is no spread to measure; assume the worst a cluster can do (deff = n/C).
    deff = se * se / binomial_variance if binomial_variance > 0 else n / n_clusters
    deff = min(max(deff, 1.0), n / n_clusters)
    z = _z(confidence)
    t = float(stats.t.ppf(0.5 + confidence / 2, n_clusters - 1))
    effective = max(1.0, n / deff * (z / t) ** 2)
    low, high = _wilson_fractional(mean, effective, z)
    return Interval(mean, se, low, high, "clustered-wilson", n, n_clusters)


def _wilson_fractional(p: float, n: float, z: float) -> tuple[float, float]:
    """Continuity-corrected Wilson bounds for proportion p on a (possibly fractional) sample size n."""
    q, denom = 1 - p, 2 * (n + z * z)
    low = 0.0
    if p > 0:
        root = math.sqrt(max(0.0, z * z - 2 - 1 / n + 4 * p * (n * q + 1)))
        low = max(0.0, (2 * n * p + z * z - 1 - z * root) / denom)
    high = 1.0
    if p < 1:
        root = math.sqrt(max(0.0, z * z + 2 - 1 / n + 4 * p * (n * q - 1)))
        high = min(1.0, (2 * n * p + z * z + 1 + z * root) / denom)
    return low, high


# Below this many items a bootstrap has too few distinct resamples to say anything; Student's t it is.
BOOTSTRAP_T_MIN_ITEMS = 10


def bootstrap_t_interval(
    scores: Sequence[float] | np.ndarray, *, confidence: float = 0.95, resamples: int = 999, seed: int = 0
) -> Interval:
    """Studentized (bootstrap-t) interval for the mean of independent, not necessarily normal scores.

    Each seeded resample's t = (mean* - mean) / se* estimates the real distribution of the t
    statistic, skew included, so the interval is asymmetric where the scores are (F1 with many zeros,
    a grader's long tail) and covers where Student's t falls short at n = 20 (bench/RESULTS.md)."""
    values = np.asarray(scores, dtype=np.float64)
    n = len(values)
    mean = float(values.mean())
    se = float(values.std(ddof=1)) / math.sqrt(n)
    tail = (1 - confidence) / 2
    _z(confidence)
    if se == 0.0:
        return Interval(mean, se, mean, mean, "bootstrap-t", n, n)
    rng = np.random.default_rng(seed)
    chunk = max(1, min(resamples, 2_000_000 // n))
    t_stats = []
    for start in range(0, resamples, chunk):
        drawn = values[rng.integers(0, n, size=(min(chunk, resamples - start), n))]
        drawn_se = drawn.std(axis=1, ddof=1) / math.sqrt(n)
        usable = drawn_se > 0  # a resample of one repeated value has no spread to studentize by
        t_stats.append((drawn.mean(axis=1)[usable] - mean) / drawn_se[usable])
    t_all = np.concatenate(t_stats)
    upper_t, lower_t = np.quantile(t_all, [1 - tail, tail])
    return Interval(mean, se, mean - float(upper_t) * se, mean - float(lower_t) * se, "bootstrap-t", n, n)


def reported_interval(
    scores: Sequence[float] | np.ndarray,
    clusters: Sequence[Hashable] | None = None,
    *,
    confidence: float = 0.95,
) -> Interval:
    """The interval leaderboards, reports and the dashboard show for a mean score.

    Binary scores: continuity-corrected Wilson ("wilson-cc"), or on clustered items its design-effect
    form ("clustered-wilson"). Other scores: the studentized bootstrap ("bootstrap-t"; Student's "t"
    below BOOTSTRAP_T_MIN_ITEMS items), or on clustered items mean +- t_{C-1} * clustered SE
    ("clustered-t"). Cluster ids that are all distinct count as no clustering."""
    values = np.asarray(scores, dtype=np.float64)
    if clusters is not None and len(set(clusters)) == len(values):
        clusters = None
    if clusters is not None and len(values) and np.all(np.isfinite(values)) and is_binary(values):
        if len(clusters) != len(values):
            raise ValueError(f"{len(clusters)} cluster ids for {len(values)} scores")
        return clustered_wilson_interval(values, clusters, confidence=confidence)
    if (
        clusters is None
        and len(values) >= BOOTSTRAP_T_MIN_ITEMS
        and np.all(np.isfinite(values))
        and not is_binary(values)
    ):
        return bootstrap_t_interval(values, confidence=confidence)
    return mean_interval(values, clusters, confidence=confidence)
