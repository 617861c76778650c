"""`assay trends ...`: the model catalogue, state of the art over time, saturation, open vs closed,
training emissions, own-run footprints, and charts.

One module per command group; the commands are registered here, in the order `--help` lists them.
"""

from __future__ import annotations

import typer

from assay.cli.trends.catalogue import benchmarks_cmd, catalogue_cmd
from assay.cli.trends.chart import chart_cmd
from assay.cli.trends.footprint import emissions_cmd, runs_cmd
from assay.cli.trends.frontier import saturation_cmd, sota_cmd
from assay.cli.trends.openness import gap_cmd, lag_cmd

__all__ = ["trends_app"]

trends_app = typer.Typer(
    no_args_is_help=True,
    help="AI progress over time: catalogue, state of the art, saturation, open vs closed, emissions.",
)
trends_app.command("catalogue")(catalogue_cmd)
trends_app.command("benchmarks")(benchmarks_cmd)
trends_app.command("sota")(sota_cmd)
trends_app.command("saturation")(saturation_cmd)
trends_app.command("gap")(gap_cmd)
trends_app.command("lag")(lag_cmd)
trends_app.command("emissions")(emissions_cmd)
trends_app.command("runs")(runs_cmd)
trends_app.command("chart")(chart_cmd)
