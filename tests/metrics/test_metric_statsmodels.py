"""McNemar, Wilson, Clopper-Pearson and Holm equal statsmodels' independent implementations on fixed data;
verdicts for lower-is-better metrics and for differences a correction across tasks took away."""

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from assay.metrics.intervals import clopper_pearson_interval, wilson_interval
from assay.metrics.paired import compare_paired, holm, mcnemar_exact, verdict_in_words

# (both right, A only, B only, both wrong): equal numbers, lopsided, all concordant, tiny
TABLES = [(40, 15, 5, 40), (10, 10, 10, 10), (100, 0, 7, 3), (30, 0, 0, 20), (2, 1, 0, 1), (50, 61, 40, 9)]


@pytest.mark.parametrize("table", TABLES)
def test_mcnemar_exact_equals_statsmodels(table):
    both, a_only, b_only, neither = table
    expected = mcnemar([[both, a_only], [b_only, neither]], exact=True).pvalue
    assert mcnemar_exact(a_only, b_only) == pytest.approx(expected, rel=1e-12)


def _scores(table):
    both, a_only, b_only, neither = table
    a = [1.0] * both + [1.0] * a_only + [0.0] * b_only + [0.0] * neither
    b = [1.0] * both + [0.0] * a_only + [1.0] * b_only + [0.0] * neither
    order = np.random.default_rng(0).permutation(len(a))
    return np.array(a)[order], np.array(b)[order]


@pytest.mark.parametrize("table", TABLES[:3] + TABLES[4:])
def test_paired_comparison_p_value_is_statsmodels_mcnemar_on_the_same_scores(table):
    a, b = _scores(table)
    both, a_only, b_only, neither = table
    got = compare_paired(a, b)
    assert got.test == "mcnemar-exact" and got.n == sum(table)
    assert got.p_value == pytest.approx(mcnemar([[both, a_only], [b_only, neither]], exact=True).pvalue)
    assert got.difference == pytest.approx((a_only - b_only) / sum(table))


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 20), (10, 20), (7, 50), (150, 200), (1, 1000)])
def test_wilson_and_clopper_pearson_equal_statsmodels(k, n):
    assert wilson_interval(k, n) == pytest.approx(proportion_confint(k, n, method="wilson"), abs=1e-9)
    assert wilson_interval(k, n, confidence=0.9) == pytest.approx(
        proportion_confint(k, n, alpha=0.1, method="wilson"), abs=1e-9
    )
    assert clopper_pearson_interval(k, n) == pytest.approx(proportion_confint(k, n, method="beta"), abs=1e-9)


@pytest.mark.parametrize(
    "p_values", [[0.01, 0.04, 0.03, 0.005], [0.5, 0.9], [0.001], [0.02, 0.02, 0.02], [0.2, 0.01, 0.049, 0.3]]
)
def test_holm_equals_statsmodels(p_values):
    _, expected, _, _ = multipletests(p_values, method="holm")
    assert holm(p_values) == pytest.approx(list(expected), rel=1e-12)


def test_lower_is_better_names_the_lower_mean_the_better():
    a, b = _scores((40, 5, 25, 30))  # B scores higher; for an error rate that makes A the better
    got = compare_paired(a, b, names=("small", "large"), higher_is_better=False)
    assert got.significant and got.difference < 0
    assert got.verdict.startswith("small is better than large by 20.0 points (95% CI ")


def test_verdict_after_holm_says_the_correction_took_the_difference_away():
    text = verdict_in_words(0.1, 0.01, 0.19, 0.12, False, adjusted=(0.0414, 0.0828, 2))
    assert text == (
        "no detectable difference after Holm correction over 2 tasks (p 0.0414 -> 0.0828); "
        "this run could detect 12.0 points"
    )


def test_detectable_difference_is_finite_at_the_edges_of_accuracy():
    # all wrong on both sides, or nearly all right: the run can still see a large enough change
    for a, b in [([0.0] * 20, [0.0] * 20), ([1.0] * 20, [1.0] * 19 + [0.0])]:
        got = compare_paired(a, b)
        assert 0.2 < got.detectable < 0.5
        assert (
            got.verdict
            == f"no detectable difference; this run could detect {got.detectable * 100:.1f} points"
        )


def test_detectable_difference_with_no_discordant_pair_yet_uses_the_largest_possible_correlation():
    # identical scores: observed correlation 1, impossible between two different accuracies; at the
    # Frechet bound every difference goes one way, so effect = k * sqrt(effect (1 - effect) / n)
    got = compare_paired([1.0, 0.0] * 20, [1.0, 0.0] * 20)
    k2 = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) ** 2
    assert got.correlation == pytest.approx(1.0)
    assert got.detectable == pytest.approx(k2 / (40 + k2), rel=1e-6)
