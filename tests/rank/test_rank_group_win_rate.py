"""HELM's mean win rate within metric groups, by hand."""

import math

from assay.core.metric_groups import info_of
from assay.rank import mean_win_rate_by_group


def test_group_win_rates_respect_each_columns_direction():
    cells = [
        ("a", "t/acc", "accuracy", 0.9, True),
        ("b", "t/acc", "accuracy", 0.5, True),
        ("c", "t/acc", "accuracy", 0.5, True),
        ("a", "t/latency_mean_s", "efficiency", 2.0, False),  # slowest
        ("b", "t/latency_mean_s", "efficiency", 1.0, False),
        ("a", "t/prompt_tokens", "efficiency", 10.0, None),  # no direction: not ranked
        ("b", "t/prompt_tokens", "efficiency", 20.0, None),
        ("c", "t/prompt_tokens", "efficiency", 30.0, None),
    ]
    rates = mean_win_rate_by_group(cells)
    assert rates["accuracy"] == {"a": 1.0, "b": 0.25, "c": 0.25}
    assert rates["efficiency"]["a"] == 0.0 and rates["efficiency"]["b"] == 1.0
    assert math.isnan(rates["efficiency"]["c"])  # only an undirected column: no rate


def test_builtin_metrics_declare_group_and_direction():
    import assay  # noqa: F401  (loads the built-in declarations)

    expected = {
        "acc": ("accuracy", True),
        "ece": ("calibration", False),
        "exact_match_robustness": ("robustness", True),
        "acc_fairness": ("fairness", True),
        "ambiguous_non_unknown_rate": ("bias", False),
        "toxicity_rate": ("toxicity", False),
        "latency_p95_s": ("efficiency", False),
        "cost": ("efficiency", False),
    }
    for metric, (group, higher) in expected.items():
        info = info_of(metric)
        assert info is not None and (info.group, info.higher_is_better) == (group, higher), metric
    assert info_of("acc[typos]") is None
