"""HELM's metric groups on the leaderboard: every metric of every (model, task) placed in its group
(accuracy, calibration, robustness, fairness, bias, toxicity, efficiency) with its direction, and the
mean win rate within each group beside the overall one."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from assay.core.metric_groups import GROUPS, info_of
from assay.core.results import LeaderboardRow, RunLevelMetric
from assay.rank import mean_win_rate_by_group

GroupRates = tuple[tuple[str, tuple[tuple[str, float], ...]], ...]  # (group, ((model, rate), ...))


@dataclass(frozen=True)
class GroupedMetric:
    """One metric of one (model, task), in its group, with the way that is better."""

    model: str
    task: str
    metric: str
    group: str
    value: float
    higher_is_better: bool | None


def grouped_metrics(
    rows: Sequence[LeaderboardRow], run_level: Sequence[RunLevelMetric]
) -> list[GroupedMetric]:
    """Headlines (accuracy unless declared otherwise) and every run-level metric that has a group."""
    out = []
    for row in rows:
        info = info_of(row.metric)
        group, higher = (info.group, info.higher_is_better) if info else ("accuracy", True)
        if not math.isnan(row.value):
            out.append(GroupedMetric(row.model, row.task, row.metric, group, row.value, higher))
    headline = {(r.model, r.task, r.metric) for r in rows}
    for metric in run_level:
        info = info_of(metric.metric)
        if info is None or (metric.model, metric.task, metric.metric) in headline or math.isnan(metric.value):
            continue
        out.append(
            GroupedMetric(
                metric.model, metric.task, metric.metric, info.group, metric.value, info.higher_is_better
            )
        )
    return out


def group_win_rates(metrics: Sequence[GroupedMetric]) -> GroupRates:
    """Mean win rate per group, best first within each; groups in HELM's order."""
    rates = mean_win_rate_by_group(
        (m.model, f"{m.task}/{m.metric}", m.group, m.value, m.higher_is_better) for m in metrics
    )
    out = []
    for group in GROUPS:
        if group in rates:
            ranked = sorted(
                rates[group].items(), key=lambda kv: (-(kv[1] if not math.isnan(kv[1]) else -1.0), kv[0])
            )
            out.append((group, tuple(ranked)))
    return tuple(out)
