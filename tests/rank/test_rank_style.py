"""Style control: planted style effects are recovered, and taken out of the ratings."""

import numpy as np
import pytest
from scipy.special import expit

from assay.rank import BattleArrays, RatingError, aggregate_battles, fit_bradley_terry
from assay.rank.style import fit_style_controlled, style_bootstrap, style_covariates, style_sandwich


def styled_arena(n=40_000, seed=0):
    """4 equally strong models except model 0, whose answers are much longer; voters like length."""
    rng = np.random.default_rng(seed)
    k = 4
    strengths = np.array([0.0, 0.3, 0.0, -0.3])
    a = rng.integers(0, k, n)
    b = (a + rng.integers(1, k, n)) % k
    mean_length = np.array([900.0, 300.0, 300.0, 300.0])
    # lengths vary within a model too (as real answers do), which is what separates style from skill
    length_a = rng.poisson(mean_length[a] * rng.lognormal(0.0, 0.7, n))
    length_b = rng.poisson(mean_length[b] * rng.lognormal(0.0, 0.7, n))
    other_a, other_b = rng.poisson(2.0, (n, 3)), rng.poisson(2.0, (n, 3))
    x = style_covariates(np.column_stack([length_a, other_a]), np.column_stack([length_b, other_b]))
    beta = np.array([0.5, 0.0, 0.2, 0.0])
    a_wins = rng.random(n) < expit(strengths[a] - strengths[b] + x @ beta)
    battles = BattleArrays(
        ("m0", "m1", "m2", "m3"),
        a.astype(np.int32),
        b.astype(np.int32),
        np.where(a_wins, 2, 0).astype(np.int8),
    )
    return battles, x, strengths, beta


def test_recovers_style_coefficients_and_strengths():
    battles, x, strengths, beta = styled_arena()
    fit = fit_style_controlled(battles, x)
    _, se = style_sandwich(battles, x, fit)
    assert np.all(np.abs(fit.coefficients - beta) < 4 * se), (fit.coefficients, se)
    truth = strengths - strengths.mean()
    assert np.abs(fit.strengths - truth).max() < 0.06  # 4-5 sandwich SE (0.012-0.014) at 40,000

    # Without style control the long-winded model 0 looks as strong as model 1; with it, it does not.
    plain = fit_bradley_terry(aggregate_battles(battles))
    assert plain.strengths[0] > plain.strengths[2] + 0.2
    assert abs(fit.strengths[0] - fit.strengths[2]) < 0.06


def test_style_bootstrap_agrees_with_sandwich():
    battles, x, _, _ = styled_arena(n=8_000, seed=1)
    fit = fit_style_controlled(battles, x)
    sandwich, coef_se = style_sandwich(battles, x, fit)
    boot, coefficients = style_bootstrap(battles, x, fit, rounds=60, seed=2)
    ratio = (boot.upper - boot.lower) / (sandwich.upper - sandwich.lower)
    assert np.all((ratio > 0.6) & (ratio < 1.5)), ratio  # 60 rounds: quantiles are rough
    assert np.all(np.abs(coefficients.std(axis=0) / coef_se - 1) < 0.4)


def test_covariates_are_standardised_normalised_differences():
    x = style_covariates(
        np.array([[3.0, 1.0], [1.0, 1.0], [0.0, 1.0]]), np.array([[0.0, 1.0], [1.0, 1.0], [3.0, 1.0]])
    )
    # (a - b) / (a + b + 1) = 0.75, 0, -0.75 -> standardised; the constant column stays 0
    assert x[:, 0].tolist() == pytest.approx([1.2247449, 0.0, -1.2247449])
    assert x[:, 1].tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RatingError, match="non-negative"):
        style_covariates(np.array([[-1.0]]), np.array([[1.0]]))
    with pytest.raises(RatingError, match="covariates must be"):
        fit_style_controlled(styled_arena(n=100)[0], np.zeros((99, 4)))
