"""Terminal views of HELM's metric groups: each group's mean win rate beside the overall one, or one
group's metrics in full (`assay leaderboard --group robustness`)."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from assay.api import Leaderboard, RunRecord


def _fmt(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.3f}"


def groups_json(board: Leaderboard) -> dict[str, Any]:
    return {
        "groups": {group: dict(rates) for group, rates in board.groups},
        "metrics": [
            {
                "model": m.model,
                "task": m.task,
                "metric": m.metric,
                "group": m.group,
                "value": m.value,
                "higher_is_better": m.higher_is_better,
            }
            for m in board.metrics
        ],
    }


def print_group_rates(console: Console, board: Leaderboard) -> None:
    """Models x groups: the overall mean win rate, then each measured group's."""
    if len(board.groups) < 2:
        return  # accuracy alone says nothing the main table does not
    table = Table(title="mean win rate by metric group (HELM)")
    table.add_column("model")
    table.add_column("overall", justify="right")
    rates = {group: dict(r) for group, r in board.groups}
    for group in rates:
        table.add_column(group, justify="right")
    for model, overall in board.mean_win_rate:
        table.add_row(Text(model), _fmt(overall), *[_fmt(rates[g].get(model)) for g in rates])
    console.print(table)


def print_group(console: Console, board: Leaderboard, group: str) -> None:
    """One group: models ranked by their win rate in it, one column per task and metric."""
    ranked = board.group(group)
    metrics = [m for m in board.metrics if m.group == group]
    if not metrics:
        console.print(f"no {group} metrics measured in these runs")
        return
    columns = sorted({(m.task, m.metric) for m in metrics})
    arrows = {(m.task, m.metric): m.higher_is_better for m in metrics}
    cell = {(m.model, m.task, m.metric): m.value for m in metrics}
    table = Table(title=f"{group}: mean win rate and metrics")
    table.add_column("rank", justify="right")
    table.add_column("model")
    table.add_column(f"{group} win rate", justify="right")
    for task, metric in columns:
        arrow = {True: " ↑", False: " ↓", None: ""}[arrows[(task, metric)]]
        table.add_column(f"{task}\n{metric}{arrow}", justify="right")
    for i, (model, rate) in enumerate(ranked, start=1):
        table.add_row(str(i), Text(model), _fmt(rate), *[_fmt(cell.get((model, t, m))) for t, m in columns])
    console.print(table)


def print_energy(console: Console, run: RunRecord) -> None:
    """One line on what the run itself cost in energy and emissions, and how that was obtained."""
    summary = run.summary
    if summary is None or not summary.energy_method:
        return
    per_model = ", ".join(f"{m} {j / 3600:.3f} Wh" for m, j in summary.energy_by_model.items())
    console.print(
        Text(
            f"energy: {summary.energy_j / 3600:.3f} Wh, {summary.co2e_g:.3f} g CO2e at "
            f"{summary.grid_g_per_kwh:g} g/kWh ({summary.energy_method})"
            + (f"; by model: {per_model}" if per_model else "")
        )
    )
