"""HELM mean win rate on hand-computed tables, including ties, missing cells and undirected columns."""

import math

import pytest

from assay.rank import mean_win_rate


def test_strict_order_in_one_column():
    table = {"a": {"x": 0.9}, "b": {"x": 0.5}, "c": {"x": 0.1}}
    # a beats 2 of 2, b beats 1 of 2, c none
    assert mean_win_rate(table) == {"a": 1.0, "b": 0.5, "c": 0.0}


def test_ties_count_half_and_columns_average():
    table = {
        "a": {"x": 0.8, "y": 10.0},
        "b": {"x": 0.8, "y": 20.0},
        "c": {"x": 0.2, "y": 20.0},
    }
    # x (higher better): a = (1 + 0.5) / 2 = 0.75, b = 0.75, c = 0
    # y (lower better):  a = 2 / 2 = 1, b = 0.5 / 2 = 0.25, c = 0.25
    rates = mean_win_rate(table, {"x": True, "y": False})
    assert rates["a"] == pytest.approx((0.75 + 1.0) / 2)
    assert rates["b"] == pytest.approx((0.75 + 0.25) / 2)
    assert rates["c"] == pytest.approx((0.0 + 0.25) / 2)


def test_missing_cells_shrink_the_column_and_the_average():
    table = {
        "a": {"x": 3.0, "y": 1.0},
        "b": {"x": 2.0},  # no y
        "c": {"x": 1.0, "y": 2.0, "z": 5.0},  # z has one value: skipped
        "d": {"y": float("nan")},  # NaN is no value
    }
    rates = mean_win_rate(table)
    # x: 3 values -> a 1, b 0.5, c 0; y: a and c only (N=2) -> a 0, c 1
    assert rates["a"] == pytest.approx((1.0 + 0.0) / 2)
    assert rates["b"] == pytest.approx(0.5)  # only its x column
    assert rates["c"] == pytest.approx((0.0 + 1.0) / 2)
    assert math.isnan(rates["d"])  # no rated value anywhere


def test_column_without_direction_is_skipped_not_reversed():
    table = {"a": {"x": 1.0, "y": 1.0}, "b": {"x": 0.0, "y": 0.0}}
    # y maps to None (no direction), w is omitted: only x counts
    rates = mean_win_rate(table, {"x": True, "y": None})
    assert rates == {"a": 1.0, "b": 0.0}
    assert mean_win_rate(table, {"w": True}) == {
        "a": pytest.approx(math.nan, nan_ok=True),
        "b": pytest.approx(math.nan, nan_ok=True),
    }


def test_all_tied_column_gives_one_half():
    table = {m: {"x": 0.5} for m in "abcd"}
    assert mean_win_rate(table) == {m: 0.5 for m in "abcd"}
