"""Intervals for a mean score: equal to scipy's references, and covering the truth by simulation."""

import math

import numpy as np
import pytest
from scipy import stats

from assay.metrics.intervals import clopper_pearson_interval, clustered_se, mean_interval, wilson_interval

COUNTS = [(0, 10), (1, 10), (3, 20), (10, 20), (20, 20), (7, 50), (150, 200), (1, 1000)]


@pytest.mark.parametrize(("k", "n"), COUNTS)
def test_wilson_and_clopper_pearson_equal_scipy(k, n):
    test = stats.binomtest(k, n)
    for method, ours in [
        ("wilson", wilson_interval(k, n)),
        ("wilsoncc", wilson_interval(k, n, continuity=True)),
        ("exact", clopper_pearson_interval(k, n)),
    ]:
        ref = test.proportion_ci(confidence_level=0.95, method=method)
        assert ours == pytest.approx((ref.low, ref.high), abs=1e-9), method
    ref = test.proportion_ci(confidence_level=0.9, method="wilson")
    assert wilson_interval(k, n, confidence=0.9) == pytest.approx((ref.low, ref.high), abs=1e-9)


def test_bad_counts_are_refused():
    with pytest.raises(ValueError):
        wilson_interval(5, 4)
    with pytest.raises(ValueError):
        clopper_pearson_interval(0, 0)


SCORES = [1.0, 0.0, 1.0, 1.0, 0.5, 0.0, 0.0, 1.0, 0.75, 0.25]
CLUSTERS = ["a", "a", "a", "b", "b", "c", "c", "c", "d", "d"]


def test_clustered_se_equals_direct_computation():
    x = np.array(SCORES)
    residual = x - x.mean()
    sums = {c: 0.0 for c in CLUSTERS}
    for c, r in zip(CLUSTERS, residual, strict=True):
        sums[c] += r
    n, c = len(x), len(sums)
    expected = math.sqrt(c / (c - 1) * sum(s * s for s in sums.values()) / n**2)
    assert clustered_se(SCORES, CLUSTERS) == pytest.approx(expected, rel=1e-12)
    # every item its own cluster: the textbook s / sqrt(n)
    assert clustered_se(SCORES) == pytest.approx(x.std(ddof=1) / math.sqrt(n), rel=1e-12)
    assert math.isnan(clustered_se(SCORES, ["one"] * len(SCORES)))


def test_clustered_se_exceeds_naive_se_for_correlated_clusters():
    rng = np.random.default_rng(7)
    clusters = np.repeat(np.arange(40), 10)  # 40 passages, 10 questions each
    scores = rng.normal(size=40)[clusters] + 0.5 * rng.normal(size=400)
    assert clustered_se(scores, list(clusters)) > 2 * clustered_se(scores)


def test_mean_interval_names_its_method():
    assert mean_interval([1, 0, 1, 1]).method == "wilson-cc"
    assert mean_interval([1, 0, 1, 1], binary_method="clopper-pearson").method == "clopper-pearson"
    got = mean_interval([0.2, 0.4, 0.9, 0.5])
    assert got.method == "t" and got.n == 4 and got.clusters == 4
    assert got.high - got.mean == pytest.approx(stats.t.ppf(0.975, 3) * got.se)
    clustered = mean_interval([1, 0, 1, 1, 0, 0], ["x", "x", "y", "y", "z", "z"])
    assert clustered.method == "clustered-t" and clustered.clusters == 3
    assert math.isnan(mean_interval([0.3]).low)


def _coverage(draw, truth, runs, clusters=None):
    hits = 0
    for _ in range(runs):
        got = mean_interval(draw(), clusters)
        hits += got.low <= truth <= got.high
    return hits / runs


@pytest.mark.parametrize("n", [20, 50, 200])
@pytest.mark.parametrize("p", [0.15, 0.5])
def test_binary_interval_covers_by_simulation(n, p):
    rng = np.random.default_rng(1000 * n + int(100 * p))
    coverage = _coverage(lambda: (rng.random(n) < p).astype(float), p, 2000)
    assert coverage >= 0.94


@pytest.mark.parametrize("n", [20, 50, 200])
def test_clustered_interval_covers_by_simulation(n):
    """Items in passages of 5 share a passage effect as large as their own noise."""
    rng = np.random.default_rng(n)
    ids = list(np.repeat(np.arange(n // 5), 5))
    index = np.array(ids)

    def draw():
        return 0.5 + rng.normal(size=n // 5)[index] + rng.normal(size=n)

    assert _coverage(draw, 0.5, 3000, ids) >= 0.94


def test_ignoring_clusters_undercovers():
    """The reason clustered standard errors exist: the same data, clusters ignored, covers < 80%."""
    rng = np.random.default_rng(3)
    index = np.repeat(np.arange(20), 10)
    hits = 0
    for _ in range(500):
        scores = rng.normal(size=20)[index] + rng.normal(size=200)
        got = mean_interval(scores)
        hits += got.low <= 0 <= got.high
    assert hits / 500 < 0.8


def test_clustered_binary_interval_covers_at_200():
    """Binary scores whose passages differ in difficulty (p per passage ~ Beta(2, 2))."""
    rng = np.random.default_rng(11)
    ids = list(np.repeat(np.arange(40), 5))
    index = np.array(ids)
    hits = 0
    for _ in range(2000):
        p = rng.beta(2, 2, size=40)[index]
        got = mean_interval((rng.random(200) < p).astype(float), ids)
        hits += got.low <= 0.5 <= got.high
    assert hits / 2000 >= 0.94
