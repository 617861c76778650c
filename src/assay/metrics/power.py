"""Power analysis for paired accuracy comparisons: how many samples a task needs, and what it can see.

Two models answer the same samples, so what is tested is the mean of per-sample differences. For two
Bernoulli scores with accuracies p1, p2 and correlation rho, one difference has variance
p1(1-p1) + p2(1-p2) - 2 rho sqrt(p1(1-p1) p2(1-p2)); the normal approximation for a two-sided test
then needs n = (z_{1-alpha/2} + z_power)^2 * variance / effect^2 samples. rho = 0 is the textbook
two-independent-proportions formula, so positive correlation (the usual case) only helps.
"""

from __future__ import annotations

import math

from scipy import optimize, stats


def difference_variance(p1: float, p2: float, correlation: float) -> float:
    """Variance of X1 - X2 for Bernoulli X1, X2 with means p1, p2 and the given correlation."""
    v1, v2 = p1 * (1 - p1), p2 * (1 - p2)
    return max(0.0, v1 + v2 - 2 * correlation * math.sqrt(v1 * v2))


def correlation_bounds(p1: float, p2: float) -> tuple[float, float]:
    """The correlations two Bernoulli variables with these means can have (the Frechet bounds)."""
    scale = math.sqrt(p1 * (1 - p1) * p2 * (1 - p2))
    low = (max(0.0, p1 + p2 - 1) - p1 * p2) / scale
    high = (min(p1, p2) - p1 * p2) / scale
    return low, high


def _multiplier(alpha: float, power: float) -> float:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be between 0 and 1, got {power}")
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


def _check(baseline: float, correlation: float) -> None:
    if not 0.0 < baseline < 1.0:
        raise ValueError(f"baseline accuracy must be between 0 and 1 (exclusive), got {baseline}")
    if not -1.0 <= correlation <= 1.0:
        raise ValueError(f"correlation must be between -1 and 1, got {correlation}")


def paired_sample_size(
    baseline: float, effect: float, *, correlation: float = 0.0, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Samples (each answered by both models) to detect accuracy `baseline` vs `baseline + effect`."""
    _check(baseline, correlation)
    if not effect > 0.0:
        raise ValueError(f"effect must be positive, got {effect}")
    target = baseline + effect
    if not target < 1.0:
        raise ValueError(f"baseline + effect must stay below 1, got {baseline} + {effect} = {target:g}")
    low, high = correlation_bounds(baseline, target)
    if not low - 1e-12 <= correlation <= high + 1e-12:
        raise ValueError(
            f"correlation {correlation} is impossible for accuracies {baseline:g} and {target:g} "
            f"(possible: {low:.3f} to {high:.3f})"
        )
    variance = difference_variance(baseline, target, correlation)
    k = _multiplier(alpha, power)
    return max(2, math.ceil(k * k * variance / (effect * effect) - 1e-9))


def minimum_detectable_effect(
    baseline: float, n: int, *, correlation: float = 0.0, alpha: float = 0.05, power: float = 0.8
) -> float:
    """The smallest gain over `baseline` that `n` paired samples detect with the given power.

    Solves effect = k * sqrt(variance(baseline, baseline + effect) / n); infinity when even a
    perfect second model would not be detected reliably."""
    _check(baseline, correlation)
    if n < 1:
        raise ValueError(f"samples must be at least 1, got {n}")
    k = _multiplier(alpha, power)

    def gap(effect: float) -> float:
        # An observed correlation (say 1.0: no discordant pair yet) may be impossible between these two
        # accuracies; the most it can be is the Frechet bound, which keeps the variance honest.
        rho = correlation
        if baseline + effect < 1.0:  # at 1 the second score is constant and rho does not matter
            low, high = correlation_bounds(baseline, baseline + effect)
            rho = min(max(correlation, low), high)
        return effect - k * math.sqrt(difference_variance(baseline, baseline + effect, rho) / n)

    top = 1.0 - baseline
    if gap(top) < 0:
        return math.inf
    bottom = 1e-12
    if gap(bottom) >= 0:
        return 0.0
    return float(optimize.brentq(gap, bottom, top, xtol=1e-10))
