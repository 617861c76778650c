"""HELM's metric groups on the leaderboard: every metric of every (model, task) placed in its group
(accuracy, calibration, robustness, fairness, bias, toxicity, efficiency) with its direction, and the
mean win rate within each group beside the overall one."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from assay.core.metric_groups import GROUPS, info_of
from assay.core.results import LeaderboardRow, RunLevelMetric, RunRecord
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


def _fmt(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.3f}"


def holistic_html_section(
    metrics: Sequence[GroupedMetric],
    overall: Sequence[tuple[str, float]],
    runs: Sequence[RunRecord],
) -> str:
    """The report's section: mean win rate per metric group beside the overall one, each group's
    metrics, and what each run cost in energy. Every name is escaped (model names come from users)."""
    rates = group_win_rates(metrics)
    out = ['<section class="assay-holistic">', "<h2>Metric groups (HELM) and energy</h2>"]
    if len(rates) > 1:
        head = "".join(f"<th>{escape(g)}</th>" for g, _ in rates)
        out += ["<table>", f"<thead><tr><th>model</th><th>overall</th>{head}</tr></thead>", "<tbody>"]
        by_group = {g: dict(r) for g, r in rates}
        for model, rate in overall:
            cells = "".join(f"<td>{_fmt(by_group[g].get(model))}</td>" for g, _ in rates)
            out.append(f"<tr><td>{escape(model)}</td><td>{_fmt(rate)}</td>{cells}</tr>")
        out += ["</tbody>", "</table>"]
        for group, _ in rates:
            rows = [m for m in metrics if m.group == group]
            out.append(f"<details><summary>{escape(group)}</summary><table><tbody>")
            for m in rows:
                arrow = {True: " ↑", False: " ↓", None: ""}[m.higher_is_better]
                out.append(
                    f"<tr><td>{escape(m.model)}</td><td>{escape(m.task)}</td>"
                    f"<td>{escape(m.metric)}{arrow}</td><td>{_fmt(m.value)}</td></tr>"
                )
            out.append("</tbody></table></details>")
    energy = [r for r in runs if r.summary is not None and r.summary.energy_method]
    if energy:
        out += [
            "<table>",
            "<thead><tr><th>run</th><th>energy (Wh)</th><th>CO2e (g)</th><th>method</th></tr></thead>",
        ]
        for run in energy:
            s = run.summary
            assert s is not None
            out.append(
                f"<tr><td>{escape(run.id)}</td><td>{s.energy_j / 3600:.3f}</td><td>{s.co2e_g:.3f} "
                f"at {s.grid_g_per_kwh:g} g/kWh</td><td>{escape(s.energy_method)}</td></tr>"
            )
        out.append("</table>")
    out.append("</section>")
    return "\n".join(out)
