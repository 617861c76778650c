"""`assay trends gap` and `assay trends lag`: open-weights models against closed ones."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.text import Text

from assay.cli.output import emit_json
from assay.cli.trends.helpers import check_benchmarks, load, parse_at
from assay.cli.trends.options import EpochOpt, JsonOpt, ResultsOpt, SourceOpt
from assay.cli.trends.views import console, show
from assay.trends import gap, tables


def gap_cmd(
    benchmark: Annotated[list[str] | None, typer.Argument(help="Benchmarks (default: every % one).")] = None,
    at: Annotated[str | None, typer.Option(help="As of this date (YYYY-MM-DD); default: latest.")] = None,
    epoch: EpochOpt = None,
    results: ResultsOpt = None,
    source: SourceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Best closed vs best open model per benchmark, the relative advantage and its median."""
    day = parse_at(at)
    data = load(epoch, None, results, source=source)
    check_benchmarks(data, benchmark)
    summary = gap.gap_summary(data.results, benchmark, at=day)
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
    data = load(epoch, None, results)
    check_benchmarks(data, [benchmark])
    lags = gap.open_lag(data.results, benchmark)
    median = gap.median_lag_days(lags)
    if as_json:
        emit_json(
            {
                "benchmark": benchmark,
                "median_days": median,
                "lags": [{**asdict(lag), "days": lag.days} for lag in lags],
            }
        )
        return
    show(f"{benchmark}: time for open models to match closed records", lags, tables.LAG)
    console.print(f"median lag: {'-' if median is None else f'{median:.0f} days'}")
