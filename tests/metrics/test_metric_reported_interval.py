"""The interval leaderboards show: Wilson equal to statsmodels, the clustered Wilson's behaviour at the
edges, and coverage by a small simulation (the full one is bench/interval_coverage.py)."""

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from assay.metrics.intervals import clustered_wilson_interval, reported_interval, wilson_interval


@pytest.mark.parametrize(("k", "n"), [(0, 7), (1, 10), (9, 20), (20, 20), (33, 50), (187, 200), (2, 1000)])
def test_wilson_equals_statsmodels(k, n):
    for confidence in (0.95, 0.8):
        ref = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
        assert wilson_interval(k, n, confidence=confidence) == pytest.approx(ref, abs=1e-12)


def test_reported_interval_names_its_method_and_counts_clusters():
    binary = [1, 0, 1, 1, 0, 1, 1, 1]
    assert reported_interval(binary).method == "wilson-cc"
    # distinct cluster ids are no clustering at all
    assert reported_interval(binary, [str(i) for i in range(8)]).method == "wilson-cc"
    paired = reported_interval(binary, ["a", "a", "b", "b", "c", "c", "d", "d"])
    assert (paired.method, paired.clusters, paired.n) == ("clustered-wilson", 4, 8)
    assert reported_interval([0.2, 0.9, 0.4]).method == "t"  # too few items to bootstrap
    skewed = reported_interval([0.0] * 12 + [0.1, 0.9, 1.0, 0.7])
    assert skewed.method == "bootstrap-t" and skewed.high - skewed.mean > skewed.mean - skewed.low
    assert reported_interval([0.2, 0.9, 0.4, 0.1], ["a", "a", "b", "b"]).method == "clustered-t"


def test_clustered_wilson_is_wider_than_plain_and_stays_in_bounds():
    rng = np.random.default_rng(3)
    ids = np.repeat(np.arange(10), 10)
    scores = (rng.random(10)[ids] > 0.4).astype(float)  # each passage all right or all wrong
    clustered = reported_interval(scores, list(ids))
    plain = reported_interval(scores)
    assert clustered.high - clustered.low > 2 * (plain.high - plain.low)
    assert 0.0 <= clustered.low <= clustered.mean <= clustered.high <= 1.0


def test_every_item_right_does_not_collapse_to_a_point():
    ids = np.repeat(np.arange(5), 4)
    found = clustered_wilson_interval(np.ones(20), list(ids))
    assert found.high == 1.0 and found.low < 0.8  # five passages say little, however long
    assert reported_interval(np.ones(20), list(ids)).low == found.low


def _beta_binomial(rng, clusters, size, p, icc=0.3):
    a, b = p * (1 - icc) / icc, (1 - p) * (1 - icc) / icc
    cluster_p = rng.beta(a, b, size=clusters)
    return (rng.random((clusters, size)) < cluster_p[:, None]).astype(float).ravel()


@pytest.mark.parametrize(("clusters", "size", "p"), [(5, 4, 0.7), (10, 5, 0.5)])
def test_clustered_binary_coverage_small_simulation(clusters, size, p):
    rng = np.random.default_rng(11)
    ids = list(np.repeat(np.arange(clusters), size))
    hits = 0
    for _ in range(300):
        found = reported_interval(_beta_binomial(rng, clusters, size, p), ids)
        hits += found.low <= p <= found.high
    assert hits / 300 >= 0.92


def test_binary_coverage_at_twenty_items_small_simulation():
    rng = np.random.default_rng(5)
    hits = sum(
        (found := reported_interval((rng.random(20) < 0.8).astype(float))).low <= 0.8 <= found.high
        for _ in range(300)
    )
    assert hits / 300 >= 0.92


def test_skewed_scores_coverage_at_twenty_items_small_simulation():
    rng = np.random.default_rng(8)
    hits = 0
    for _ in range(300):
        found = reported_interval(rng.beta(0.5, 2.0, 20))  # mean 0.2, most mass near 0
        hits += found.low <= 0.2 <= found.high
    assert found.method == "bootstrap-t" and hits / 300 >= 0.92
