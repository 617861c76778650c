"""`assay trends chart`: a chart saved as a Vega-Lite spec or rendered."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay.cli.trends.helpers import load
from assay.cli.trends.options import BaselinesOpt, EpochOpt, ResultsOpt, SourceOpt
from assay.cli.trends.views import console
from assay.trends import TrendsError, emissions, gap
from assay.trends.dataset import reported_emissions


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
    from assay.trends import charts

    data = load(epoch, None, results, baselines, source=source)
    makers = {
        "sota": lambda: charts.sota_chart(data.results, benchmark, data.baselines),
        "gap": lambda: charts.gap_chart(data.results, benchmark),
        "gap-summary": lambda: charts.gap_summary_chart(gap.gap_summary(data.results)),
        "scaling": lambda: charts.scaling_chart(data.results, data.catalogue, benchmark, x, colour),
        "emissions": lambda: charts.emissions_chart(
            emissions.choose_estimates(data.catalogue, None, emissions.EmissionParams(), reported_emissions())
        ),
    }
    if kind not in makers:
        raise TrendsError(f"unknown chart {kind!r} ({', '.join(makers)})")
    console.print(f"wrote {charts.save_chart(makers[kind](), out)}")
