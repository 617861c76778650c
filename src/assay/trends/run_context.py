"""A run in context: for each task that tracks a public benchmark, the run's best score and the
state of the art over time (shipped Epoch AI data), with the chart to draw it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assay.core.results import LeaderboardRow
from assay.trends.dataset import load_default
from assay.trends.sota import SotaPoint, sota_series

# assay task group -> the benchmark's name in the trends data (scores there are in %).
TRACKED = {
    "gsm8k": "GSM8K",
    "mmlu": "MMLU",
    "hellaswag": "HellaSwag",
    "arc_challenge": "ARC-Challenge",
    "boolq": "BoolQ",
    "gpqa_diamond": "GPQA",
}
SOURCE = "Epoch AI, CC BY 4.0"


@dataclass(frozen=True)
class BenchmarkContext:
    benchmark: str
    best: LeaderboardRow  # the run's best row on it
    record: SotaPoint  # the best published result
    chart: dict[str, Any]  # Vega-Lite spec of the state of the art over time
    source: str = SOURCE


def benchmark_of(task: str) -> str | None:
    for prefix, name in TRACKED.items():
        if task == prefix or task.startswith(prefix + "_") or task.startswith(prefix + "["):
            return name
    return None


def run_contexts(rows: Sequence[LeaderboardRow]) -> list[BenchmarkContext]:
    """One entry per tracked benchmark among the rows' tasks, by benchmark name; none if untracked."""
    best: dict[str, LeaderboardRow] = {}
    for row in rows:
        name = benchmark_of(row.task)
        if name and (name not in best or row.value > best[name].value):
            best[name] = row
    if not best:
        return []
    from assay.trends.charts import sota_chart  # Altair loads only when there is a chart to draw

    data = load_default()
    out = []
    for name, row in sorted(best.items()):
        records = sota_series(data.results, name)
        if records:
            top = max(records, key=lambda p: p.score)
            out.append(BenchmarkContext(name, row, top, sota_chart(data.results, name)))
    return out
