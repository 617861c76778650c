"""Paired comparison of two models: McNemar equal to scipy, cluster-aware bootstrap, Holm, verdicts."""

import numpy as np
import pytest
from scipy import stats

from assay.metrics.paired import compare_paired, holm, mcnemar_exact, paired_bootstrap_interval


@pytest.mark.parametrize(("a_only", "b_only"), [(0, 0), (3, 0), (5, 5), (12, 4), (1, 20), (40, 61)])
def test_mcnemar_exact_equals_scipy_binomtest(a_only, b_only):
    expected = 1.0 if a_only + b_only == 0 else stats.binomtest(a_only, a_only + b_only, 0.5).pvalue
    assert mcnemar_exact(a_only, b_only) == pytest.approx(expected, rel=1e-12)


def _binary_pair(n, p_a, p_b, seed):
    rng = np.random.default_rng(seed)
    shared = rng.random(n)  # shared difficulty makes the two models' scores correlated
    noise = rng.random(n)
    a = ((0.7 * shared + 0.3 * noise) < p_a).astype(float)
    b = ((0.7 * shared + 0.3 * rng.random(n)) < p_b).astype(float)
    return a, b


def test_binary_comparison_uses_mcnemar_on_discordant_pairs():
    a, b = _binary_pair(300, 0.7, 0.6, seed=1)
    got = compare_paired(a, b)
    a_only, b_only = int(np.sum((a == 1) & (b == 0))), int(np.sum((a == 0) & (b == 1)))
    assert got.test == "mcnemar-exact"
    assert got.p_value == pytest.approx(stats.binomtest(a_only, a_only + b_only, 0.5).pvalue)
    assert got.difference == pytest.approx(a.mean() - b.mean())
    assert got.correlation == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert got.low < got.difference < got.high
    assert got.significant
    assert got.verdict.startswith("A is better than B by ")
    assert f"(95% CI {got.low * 100:.1f} to {got.high * 100:.1f})" in got.verdict


def test_b_better_verdict_names_b_and_orders_the_interval():
    a, b = _binary_pair(300, 0.6, 0.7, seed=2)
    got = compare_paired(a, b, names=("small", "large"))
    assert got.significant and got.difference < 0
    assert got.verdict.startswith("large is better than small by ")
    assert f"(95% CI {-got.high * 100:.1f} to {-got.low * 100:.1f})" in got.verdict


def test_no_difference_reports_what_the_run_could_detect():
    a, b = _binary_pair(200, 0.6, 0.6, seed=3)
    got = compare_paired(a, b)
    assert not got.significant
    assert got.verdict == f"no detectable difference; this run could detect {got.detectable * 100:.1f} points"
    assert 0.02 < got.detectable < 0.2


def test_continuous_scores_use_a_paired_t_test():
    rng = np.random.default_rng(4)
    base = rng.normal(size=100)
    a, b = base + 0.3 + 0.2 * rng.normal(size=100), base
    got = compare_paired(a, b)
    assert got.test == "paired-t"
    assert got.p_value == pytest.approx(stats.ttest_rel(a, b).pvalue, rel=1e-9)


def test_bootstrap_is_seeded_and_cluster_aware():
    rng = np.random.default_rng(5)
    ids = list(np.repeat(np.arange(30), 10))
    diff = rng.normal(size=30)[np.array(ids)] + 0.3 * rng.normal(size=300)
    assert paired_bootstrap_interval(diff, seed=9) == paired_bootstrap_interval(diff, seed=9)
    low, high = paired_bootstrap_interval(diff)
    c_low, c_high = paired_bootstrap_interval(diff, ids)
    assert c_high - c_low > 2 * (high - low)
    got = compare_paired(diff, np.zeros(300), ids)
    assert got.test == "clustered-t" and got.clusters == 30
    # the cluster bootstrap's interval, widened to the t-interval on the clustered SE (29 df)
    half = stats.t.ppf(0.975, 29) * got.se
    assert got.low == pytest.approx(min(c_low, diff.mean() - half))
    assert got.high == pytest.approx(max(c_high, diff.mean() + half))
    assert got.low <= c_low and got.high >= c_high


def test_holm_against_a_hand_computed_example():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> raised to 0.06 (monotone)
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="same samples"):
        compare_paired([1, 0, 1], [1, 0])
