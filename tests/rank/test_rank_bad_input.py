"""Bad battles give one clear RatingError; nothing unratable turns into a NaN."""

import math

import numpy as np
import pytest

from assay.rank import (
    DisconnectedComparisonError,
    RatingError,
    aggregate_battles,
    bootstrap_bradley_terry,
    bradley_terry_table,
    comparison_components,
    encode_battles,
    fit_bradley_terry,
    pair_counts_from_battles,
)


def test_unknown_winner_names_the_row_and_value():
    with pytest.raises(RatingError, match=r"battle 1 \('a' vs 'b'\): unknown winner 'model_c'"):
        encode_battles(["a", "a"], ["b", "b"], ["model_a", "model_c"])
    with pytest.raises(RatingError, match="unknown winner None"):
        encode_battles(["a"], ["b"], [None])


def test_self_battle_is_refused_or_dropped():
    with pytest.raises(RatingError, match="cannot battle itself"):
        encode_battles(["a", "b"], ["b", "b"], ["tie", "tie"])
    kept = encode_battles(["a", "b"], ["b", "b"], ["tie", "tie"], invalid="drop")
    assert len(kept) == 1


def test_model_outside_the_list():
    with pytest.raises(RatingError, match="model 'q' is not in the given model list"):
        encode_battles(["a"], ["q"], ["tie"], models=["a", "b"])


def test_lengths_must_match():
    with pytest.raises(RatingError, match="differ in length"):
        encode_battles(["a", "b"], ["b"], ["tie"])


def test_empty_data():
    with pytest.raises(RatingError, match="no battles to rate"):
        fit_bradley_terry(pair_counts_from_battles([], [], []))


def test_model_without_battles():
    pairs = pair_counts_from_battles(["a", "b"], ["b", "a"], ["model_a", "model_a"], models=["a", "b", "c"])
    with pytest.raises(RatingError, match="'c' has no battles"):
        fit_bradley_terry(pairs)


def test_disconnected_graph_names_the_groups():
    pairs = pair_counts_from_battles(["a", "b", "c", "d"], ["b", "a", "d", "c"], ["model_a"] * 4)
    assert comparison_components(pairs) == [["a", "b"], ["c", "d"]]
    with pytest.raises(DisconnectedComparisonError, match=r"2 groups .*\{a, b\} \| \{c, d\}") as info:
        bradley_terry_table(pairs)
    assert info.value.components == [["a", "b"], ["c", "d"]]


def test_undefeated_model_is_named_unless_a_prior_is_given():
    rows = [("a", "b", "model_a"), ("b", "c", "model_a"), ("c", "b", "model_a"), ("a", "c", "model_a")]
    a, b, w = zip(*rows, strict=True)
    pairs = pair_counts_from_battles(a, b, w)
    with pytest.raises(RatingError, match="model 'a' won every battle"):
        fit_bradley_terry(pairs)
    ratings = fit_bradley_terry(pairs, prior=1.0).ratings
    assert np.all(np.isfinite(ratings)) and ratings[0] == ratings.max()


def test_bad_parameters():
    pairs = pair_counts_from_battles(["a", "b"], ["b", "a"], ["model_a", "model_a"])
    with pytest.raises(RatingError, match="prior must be"):
        fit_bradley_terry(pairs, prior=-1)
    with pytest.raises(RatingError, match="at least 2 rounds"):
        bootstrap_bradley_terry(pairs, rounds=1)
    with pytest.raises(RatingError, match="confidence level"):
        bootstrap_bradley_terry(pairs, level=95)
    with pytest.raises(RatingError, match="anchor model 'zz'"):
        from assay.rank import Anchor

        fit_bradley_terry(pairs, anchor=Anchor("zz"))


def test_rare_model_bootstrap_rounds_stay_finite():
    # "r" has one win and one loss in 4,000 battles: most resamples leave it undefeated or winless,
    # where the MLE does not exist. The table stays finite and says so.
    rng = np.random.default_rng(0)
    a = rng.choice(["x", "y", "z"], 4000)
    b = np.where(a == "x", "y", np.where(a == "y", "z", "x"))
    w = rng.choice(["model_a", "model_b", "tie"], 4000)
    a = np.concatenate([a, ["r", "r"]])
    b = np.concatenate([b, ["x", "y"]])
    w = np.concatenate([w, ["model_a", "model_b"]])
    pairs = aggregate_battles(encode_battles(a, b, w))
    table = bradley_terry_table(pairs, rounds=50, seed=1)
    assert all(math.isfinite(v) for row in table.rows for v in (row.rating, row.lower, row.upper))
    assert table.notes and "bootstrap rounds" in table.notes[0]
    rare = next(row for row in table.rows if row.model == "r")
    assert rare.upper - rare.lower > 100  # honest: it knows almost nothing about r
