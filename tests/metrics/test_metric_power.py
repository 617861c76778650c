"""Power analysis: the closed form at rho = 0, agreement with simulation, the inverse, bad input."""

import math

import numpy as np
import pytest
from scipy import stats

from assay.metrics.power import difference_variance, minimum_detectable_effect, paired_sample_size

K = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)


def test_rho_zero_is_the_two_proportions_formula():
    p1, p2 = 0.6, 0.63
    expected = math.ceil(K**2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p2 - p1) ** 2)
    assert paired_sample_size(0.6, 0.03) == expected == 4126


def test_positive_correlation_needs_fewer_samples():
    sizes = [paired_sample_size(0.6, 0.05, correlation=r) for r in (-0.3, 0.0, 0.3, 0.6)]
    assert sizes == sorted(sizes, reverse=True)
    assert difference_variance(0.5, 0.5, 1.0) == 0.0


def _simulated_power(p1, p2, rho, n, runs, rng):
    """Share of simulated paired runs in which a two-sided paired z-test at 0.05 rejects."""
    both = p1 * p2 + rho * math.sqrt(p1 * (1 - p1) * p2 * (1 - p2))
    cells = [both, p2 - both, p1 - both, 1 - p1 - p2 + both]  # (1,1), B only, A only, (0,0)
    counts = rng.multinomial(n, cells, size=runs)
    b_only, a_only = counts[:, 1], counts[:, 2]
    mean = (b_only - a_only) / n
    variance = ((b_only + a_only) / n - mean**2) * n / (n - 1)
    return float(np.mean(np.abs(mean) / np.sqrt(variance / n) > stats.norm.ppf(0.975)))


@pytest.mark.parametrize(
    ("baseline", "effect", "rho"), [(0.6, 0.05, 0.5), (0.3, 0.08, 0.0), (0.8, 0.05, 0.3)]
)
def test_sample_size_matches_simulation(baseline, effect, rho):
    n = paired_sample_size(baseline, effect, correlation=rho)
    rng = np.random.default_rng(int(1000 * baseline + 100 * rho))
    assert _simulated_power(baseline, baseline + effect, rho, n, 8000, rng) == pytest.approx(0.8, abs=0.03)


@pytest.mark.parametrize(("baseline", "n", "rho"), [(0.6, 500, 0.5), (0.2, 100, 0.0), (0.9, 2000, 0.4)])
def test_minimum_detectable_effect_inverts_the_sample_size(baseline, n, rho):
    effect = minimum_detectable_effect(baseline, n, correlation=rho)
    assert 0 < effect < 1 - baseline
    assert paired_sample_size(baseline, effect, correlation=rho) == pytest.approx(n, abs=1)


def test_too_few_samples_detect_nothing():
    assert minimum_detectable_effect(0.5, 2) == math.inf


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"baseline": 1.2, "effect": 0.03}, "baseline accuracy"),
        ({"baseline": 0.0, "effect": 0.03}, "baseline accuracy"),
        ({"baseline": 0.98, "effect": 0.03}, "stay below 1"),
        ({"baseline": 0.6, "effect": -0.1}, "positive"),
        ({"baseline": 0.6, "effect": 0.03, "correlation": 1.5}, "between -1 and 1"),
        ({"baseline": 0.6, "effect": 0.3, "correlation": 0.99}, "impossible"),
        ({"baseline": 0.6, "effect": 0.03, "alpha": 0.0}, "alpha"),
    ],
)
def test_bad_input_is_refused(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        paired_sample_size(**kwargs)
