"""`assay trends gap` and `assay trends lag`: open-weights models against closed ones."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.text import Text

from assay.api import trends
from assay.cli.options import JsonOpt, console, emit_json
from assay.cli.trends import tables
from assay.cli.trends.options import EpochOpt, ResultsOpt, SourceOpt
from assay.cli.trends.views import load, show


def gap_cmd(
    benchmark: Annotated[list[str] | None, typer.Argument(help="Benchmarks (default: every % one).")] = None,
    at: Annotated[str | None, typer.Option(help="As of this date (YYYY-MM-DD); default: latest.")] = None,
    epoch: EpochOpt = None,
    results: ResultsOpt = None,
    source: SourceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Best closed vs best open model per benchmark, the relative advantage and its median."""
    summary = trends.gap(benchmark, at=at, data=load(epoch, None, results, source=source))
    if as_json:
        emit_json(asdict(summary))
        return
    show("open vs closed", summary.benchmarks, tables.GAP)
    median = "-" if summary.median_relative is None else f"{100 * summary.median_relative:.1f}%"
    console.print(
        f"median relative advantage of closed models over {len(summary.benchmarks)} benchmarks: {median}"
    )
    if summary.left_out:
        console.print(Text(f"left out (no open or no closed result): {', '.join(summary.left_out)}"))


def lag_cmd(
    benchmark: Annotated[str, typer.Argument(help="Benchmark name.")],
    epoch: EpochOpt = None,
    results: ResultsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """How long open-weights models took to reach each closed record."""
    view = trends.lag(benchmark, data=load(epoch, None, results))
    if as_json:
        emit_json(view.to_dict())
        return
    show(f"{benchmark}: time for open models to match closed records", view.lags, tables.LAG)
    median = view.median_days
    console.print(f"median lag: {'-' if median is None else f'{median:.0f} days'}")
