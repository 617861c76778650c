"""Confidence sequences: they keep their coverage when a run stops as soon as they look narrow, where a
CLT interval checked after every batch does not; and the incremental and batch forms agree."""

import math

import numpy as np
import pytest

from assay.metrics.sequential import confidence_sequence, extend, interval_paths, start

RUNS, STEPS, BATCH, GRID = 300, 400, 8, 250


def stopped_coverage(lower, upper, truth, width):
    """Coverage at the first look where the interval is narrower than `width` (or at the end)."""
    narrow = (upper - lower) < width
    stop = np.where(narrow.any(axis=1), np.argmax(narrow, axis=1), lower.shape[1] - 1)
    rows = np.arange(lower.shape[0])
    return float(((lower[rows, stop] <= truth) & (upper[rows, stop] >= truth)).mean())


def clt_paths(scores):
    """The naive normal interval after every score, looked at only after each batch (as an adaptive
    run would look), from the first batch on; between looks the last look's interval stands."""
    n = np.arange(1, scores.shape[1] + 1)
    mean = np.cumsum(scores, axis=1) / n
    half = 1.96 * np.sqrt(mean * (1 - mean) / n)
    looks = (n % BATCH == 0) | (n == n[-1])
    last_look = np.maximum.accumulate(np.where(looks, n - 1, 0))
    lower, upper = (mean - half)[:, last_look], (mean + half)[:, last_look]
    lower[:, : BATCH - 1], upper[:, : BATCH - 1] = 0.0, 1.0  # nothing is decided before the first look
    return lower, upper


def test_adaptive_stopping_keeps_coverage_where_the_naive_clt_interval_does_not():
    truth, width = 0.15, 0.15
    scores = (np.random.default_rng(2026).random((RUNS, STEPS)) < truth).astype(float)
    lower, upper = interval_paths(scores, check_every=BATCH, grid_size=GRID)
    assert stopped_coverage(lower, upper, truth, width) >= 0.93
    # Time-uniform: the sequence holds the truth at every step of (almost) every run at once.
    assert ((lower <= truth) & (upper >= truth)).all(axis=1).mean() >= 0.93
    assert ((upper - lower) < width).any(axis=1).mean() > 0.9, "the rule should stop most runs early"

    naive_low, naive_high = clt_paths(scores)
    assert stopped_coverage(naive_low, naive_high, truth, width) < 0.9  # stopping on a lucky stretch
    ever_missed = ((naive_low > truth) | (naive_high < truth)).any(axis=1).mean()
    assert ever_missed > 0.3  # peeking after every batch: most of the promised 95% is gone


def test_extending_in_batches_equals_the_vectorised_paths():
    scores = np.random.default_rng(1).random((3, 53))
    lower, upper = interval_paths(scores, check_every=10, grid_size=GRID)
    for run in range(3):
        state = start(grid_size=GRID)
        for begin in range(0, 53, 10):
            state = extend(state, scores[run, begin : begin + 10])
        assert (state.lower, state.upper) == pytest.approx((lower[run, -1], upper[run, -1]))
        assert state.n == 53 and state.mean == pytest.approx(scores[run].mean())


def test_interval_narrows_holds_the_mean_and_never_widens():
    scores = list((np.random.default_rng(5).random(600) < 0.7).astype(float))
    state, widths = start(), []
    for begin in range(0, 600, 50):
        state = extend(state, scores[begin : begin + 50])
        widths.append(state.width)
        assert state.lower <= state.mean <= state.upper
    assert widths == sorted(widths, reverse=True) and widths[-1] < 0.2
    assert confidence_sequence(scores) == pytest.approx((state.lower, state.upper), abs=0.02)
    # No data: the whole range.
    assert (start().lower, start().upper) == (0.0, 1.0) and math.isnan(start().mean)


def test_scores_outside_zero_one_are_refused():
    with pytest.raises(ValueError, match=r"got 1\.5"):
        extend(start(), [0.5, 1.5])
    with pytest.raises(ValueError):
        start(alpha=0.0)
