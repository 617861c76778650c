"""Efficiency from request usage, by hand."""

import pytest

from assay.metrics.efficiency import Usage, efficiency_metrics, estimate_tokens, percentile, price_for


def test_efficiency_on_a_hand_computed_set():
    usage = [Usage(1.0, 100, 10), Usage(3.0, 200, 30), Usage(2.0, 300, 20), Usage(None, 0, 0)]
    out = efficiency_metrics(usage, {"input": 0.5, "output": 2.0})
    assert out["prompt_tokens"] == 600 and out["completion_tokens"] == 60
    assert out["latency_mean_s"] == 2.0 and out["latency_p95_s"] == 3.0
    assert out["tokens_per_s"] == pytest.approx(660 / 6.0)
    assert out["cost"] == pytest.approx(0.6 * 0.5 + 0.06 * 2.0)
    assert "cost" not in efficiency_metrics(usage) and efficiency_metrics([]) == {}


def test_percentile_is_nearest_rank_and_prices_fall_back_to_star():
    assert percentile(list(range(1, 101)), 95) == 95 and percentile([5.0], 95) == 5.0
    assert estimate_tokens("abcdefgh") == 2 and estimate_tokens("") == 0
    prices = {"*": {"input": 1.0}, "m": {"output": 3.0}}
    assert price_for(prices, "m") == {"output": 3.0} and price_for(prices, "x") == {"input": 1.0}
    assert price_for({}, "x") is None
