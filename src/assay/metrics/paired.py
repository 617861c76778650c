"""Comparing two models on the same samples: paired differences, not two independent means.

An unpaired test on paired data throws away the correlation between the models' per-sample scores
and so reports differences as noise that a paired test would call clear. Here the difference is
A - B per sample; the interval is a bootstrap over samples (over whole clusters when items share a
passage), never narrower than the t-interval on the cluster-robust standard error: a percentile
bootstrap alone covers 74% with 4 clusters and 89% with 10 (bench/paired_compare.py). The p-value is
McNemar's exact test for binary scores on independent items, otherwise a t-test on the
cluster-robust standard error of the mean difference.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from assay.metrics.intervals import cluster_sums, clustered_se, is_binary
from assay.metrics.power import minimum_detectable_effect

BOOTSTRAP_RESAMPLES = 2000


@dataclass(frozen=True)
class PairedComparison:
    """Model A against model B on `n` shared samples; `difference` is mean(A) - mean(B)."""

    n: int
    clusters: int
    mean_a: float
    mean_b: float
    difference: float
    se: float
    low: float  # confidence interval of the difference: paired bootstrap, widened to the t-interval
    high: float
    p_value: float
    test: str  # "mcnemar-exact", "paired-t" or "clustered-t"
    correlation: float  # Pearson correlation of per-sample scores; NaN if either model is constant
    detectable: float  # minimum detectable difference at this n (two-sided alpha, the given power)
    significant: bool
    verdict: str


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Two-sided exact McNemar p-value: a binomial(a_only + b_only, 1/2) test on the discordant pairs."""
    if a_only < 0 or b_only < 0:
        raise ValueError("discordant counts must be non-negative")
    total = a_only + b_only
    if total == 0:
        return 1.0
    return min(1.0, 2.0 * float(stats.binom.cdf(min(a_only, b_only), total, 0.5)))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order (family-wise error across many tasks).

    The i-th smallest of m p-values is multiplied by (m - i + 1), capped at 1, and made monotone."""
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(sorted(range(m), key=lambda i: p_values[i])):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def paired_bootstrap_interval(
    differences: np.ndarray,
    clusters: Sequence[Hashable] | None = None,
    *,
    confidence: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile interval of the mean difference over resamples of whole clusters (or items)."""
    sums, counts = cluster_sums(differences, clusters)
    c = len(sums)
    rng = np.random.default_rng(seed)
    chunk = max(1, min(resamples, 2_000_000 // max(c, 1)))
    means = np.empty(resamples)
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        picks = rng.integers(0, c, size=(stop - start, c))
        means[start:stop] = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(low), float(high)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


def _detectable(a: np.ndarray, b: np.ndarray, rho: float, se: float, alpha: float, power: float) -> float:
    """Binary scores: the Bernoulli power formula at B's accuracy with the observed correlation, for
    a gain or a loss, whichever is smaller (near 1 only a loss can be seen; a loss from p is a gain
    from 1 - p). An accuracy of 0 or 1 counts as half a sample from the edge, so it has a variance.
    Otherwise: (z_{1-alpha/2} + z_power) times the observed standard error of the difference."""
    edge = 0.5 / len(b)
    baseline = min(max(float(b.mean()), edge), 1.0 - edge)
    if is_binary(a) and is_binary(b):
        rho = 0.0 if math.isnan(rho) else rho
        return min(
            minimum_detectable_effect(start, len(a), correlation=rho, alpha=alpha, power=power)
            for start in (baseline, 1.0 - baseline)
        )
    k = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    return k * se


def compare_paired(
    scores_a: Sequence[float] | np.ndarray,
    scores_b: Sequence[float] | np.ndarray,
    clusters: Sequence[Hashable] | None = None,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
    names: tuple[str, str] = ("A", "B"),
    scale: float = 100.0,
    higher_is_better: bool = True,
) -> PairedComparison:
    """Paired comparison of two models' per-sample scores (same samples, same order).

    `scale` turns differences into the verdict's "points" (100: accuracy in percentage points);
    `higher_is_better=False` (an error rate, a calibration error) makes the lower mean the better."""
    a = np.asarray(scores_a, dtype=np.float64)
    b = np.asarray(scores_b, dtype=np.float64)
    if len(a) != len(b):
        raise ValueError(f"paired scores need the same samples: {len(a)} vs {len(b)} scores")
    if len(a) < 2:
        raise ValueError("a paired comparison needs at least two samples")
    diff = a - b
    n = len(diff)
    n_clusters = n if clusters is None else len(set(clusters))
    se = clustered_se(diff, clusters)
    low, high = paired_bootstrap_interval(
        diff, clusters, confidence=1 - alpha, resamples=resamples, seed=seed
    )
    if not math.isnan(se):  # few independent units: the t quantile widens what the bootstrap cannot
        half = float(stats.t.ppf(1 - alpha / 2, n_clusters - 1)) * se
        low, high = min(low, float(diff.mean()) - half), max(high, float(diff.mean()) + half)
    if is_binary(a) and is_binary(b) and n_clusters == n:
        test = "mcnemar-exact"
        p_value = mcnemar_exact(int(np.sum(diff > 0)), int(np.sum(diff < 0)))
    else:
        test = "paired-t" if clusters is None else "clustered-t"
        mean = float(diff.mean())
        if se > 0:
            p_value = float(2 * stats.t.sf(abs(mean) / se, n_clusters - 1))
        else:
            p_value = 1.0 if mean == 0 or math.isnan(se) else 0.0
    rho = _correlation(a, b)
    detectable = _detectable(a, b, rho, se, alpha, power)
    difference = float(diff.mean())
    significant = p_value < alpha and (low > 0 or high < 0)
    verdict = verdict_in_words(
        difference,
        low,
        high,
        detectable,
        significant,
        names=names,
        scale=scale,
        confidence=1 - alpha,
        higher_is_better=higher_is_better,
    )
    return PairedComparison(
        n=n,
        clusters=n_clusters,
        mean_a=float(a.mean()),
        mean_b=float(b.mean()),
        difference=difference,
        se=se,
        low=low,
        high=high,
        p_value=p_value,
        test=test,
        correlation=rho,
        detectable=detectable,
        significant=significant,
        verdict=verdict,
    )


def better_of(difference: float, names: tuple[str, str], higher_is_better: bool = True) -> tuple[str, str]:
    """(better, worse) of the two names given the mean difference A - B and the metric's direction."""
    return names if (difference > 0) == higher_is_better else (names[1], names[0])


def verdict_in_words(
    difference: float,
    low: float,
    high: float,
    detectable: float,
    significant: bool,
    *,
    names: tuple[str, str] = ("A", "B"),
    scale: float = 100.0,
    confidence: float = 0.95,
    higher_is_better: bool = True,
    adjusted: tuple[float, float, int] | None = None,
) -> str:
    """The comparison in one sentence: who is better by how much, or what the run could have seen.

    `adjusted` is (raw p, Holm-adjusted p, number of tasks) when a correction across tasks turned
    a difference that was significant on its own into one that is not; the sentence then says so."""
    level = f"{confidence * 100:g}% CI"
    if significant:
        better, worse = better_of(difference, names, higher_is_better)
        sign = 1.0 if difference > 0 else -1.0  # report the gap as a positive number of points
        lo, hi = sorted((sign * low * scale, sign * high * scale))
        size = f"{abs(difference) * scale:.1f} points"
        return f"{better} is better than {worse} by {size} ({level} {lo:.1f} to {hi:.1f})"
    opening = "no detectable difference"
    if adjusted is not None:
        raw, corrected, tasks = adjusted
        opening += f" after Holm correction over {tasks} tasks (p {raw:.3g} -> {corrected:.3g})"
    if math.isinf(detectable) or math.isnan(detectable):
        return f"{opening}; this run is too small to detect any difference reliably"
    return f"{opening}; this run could detect {detectable * scale:.1f} points"
