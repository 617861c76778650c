"""`assay trends chart`: a chart saved as a Vega-Lite spec or rendered."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay.api import trends
from assay.cli.options import console
from assay.cli.trends.options import BaselinesOpt, EpochOpt, ResultsOpt, SourceOpt
from assay.cli.trends.views import load


def chart_cmd(
    kind: Annotated[str, typer.Argument(help="sota | gap | gap-summary | scaling | emissions")],
    benchmark: Annotated[str, typer.Option(help="Benchmark for sota, gap and scaling.")] = "MMLU",
    x: Annotated[str, typer.Option(help="scaling: compute | parameters")] = "compute",
    colour: Annotated[str, typer.Option(help="scaling: access | developer")] = "access",
    out: Annotated[Path, typer.Option("--out", "-o", help=".json, .html, .svg or .png")] = Path("trends.svg"),
    epoch: EpochOpt = None,
    results: ResultsOpt = None,
    baselines: BaselinesOpt = None,
    source: SourceOpt = None,
) -> None:
    """Save a chart: the Vega-Lite spec, or rendered with vl-convert."""
    data = load(epoch, None, results, baselines, source=source)
    trends.chart(kind, benchmark=benchmark, x=x, colour=colour, out=out, data=data)
    console.print(f"wrote {out}")
