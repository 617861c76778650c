"""Epoch reducers and the within-sample variance: hand-computed values and numpy's."""

import math

import numpy as np
import pytest

from assay.core.types import Sample, Score
from assay.metrics.pass_at_k import pass_at_k
from assay.metrics.reducers import (
    check_reducer,
    epochs_summary,
    reduce_by_sample,
    reduce_epochs,
    within_sample_variance,
)


def test_mean_majority_and_pass_at_k():
    epochs = [(0.0, "12"), (1.0, "7"), (0.0, "12"), (1.0, "7"), (0.0, "3")]
    assert reduce_epochs(epochs, "mean") == pytest.approx(0.4)
    assert reduce_epochs(epochs, "majority") == 0.0  # "12" and "7" tie at two votes; "12" came first
    assert reduce_epochs([(1.0, "7"), *epochs], "majority") == 1.0
    assert reduce_epochs(epochs, "pass@2") == pytest.approx(pass_at_k(5, 2, 2))
    assert reduce_epochs(epochs[:1], "pass@2") == 0.0  # a sample that lost repeats uses what it has
    # No extracted answer: the repeat votes with its score.
    assert reduce_epochs([(1.0, None), (0.0, "x"), (1.0, None)], "majority") == 1.0


def test_reduce_by_sample_keeps_first_appearance_order():
    rows = [("b", 1.0, "1"), ("a", 0.0, "2"), ("b", 0.0, "3"), ("a", 0.0, "2")]
    assert reduce_by_sample(rows, "mean") == [0.5, 0.0]


@pytest.mark.parametrize(
    ("name", "epochs", "error"),
    [("median", 3, "mean, majority or pass@K"), ("pass@4", 3, "at least 4 epochs"), ("pass@0", 3, "pass@K")],
)
def test_bad_reducers_are_refused(name, epochs, error):
    with pytest.raises(ValueError, match=error):
        check_reducer(name, epochs)
    assert check_reducer("pass@3", 3) == "pass@3"


def test_within_sample_variance_equals_numpy():
    groups = np.random.default_rng(0).random((20, 4))
    within, between = within_sample_variance(groups.tolist())
    assert within == pytest.approx(groups.var(axis=1, ddof=1).mean())
    assert between == pytest.approx(groups.mean(axis=1).var(ddof=1))
    assert all(math.isnan(v) for v in within_sample_variance([[1.0], [0.0]]))


def test_epochs_aggregator_reports_the_within_sample_part():
    scores = {"a": [1.0, 0.0, 1.0], "b": [0.0, 0.0, 1.0], "c": [1.0, 1.0, 1.0]}
    items = [
        (Sample(id=s, input="q"), Score(values={"exact_match": v})) for s, vs in scores.items() for v in vs
    ]
    out = epochs_summary(items)
    within = np.mean([np.var(v, ddof=1) for v in scores.values()])
    between = np.var([np.mean(v) for v in scores.values()], ddof=1)
    assert out["epochs"] == 3
    assert out["exact_match.within_var"] == pytest.approx(within)
    assert out["exact_match.within_share"] == pytest.approx(min(1.0, within / 3 / between))
