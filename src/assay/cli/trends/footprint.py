"""`assay trends emissions` (training) and `assay trends runs` (assay's own runs): energy and CO2."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from assay.api import trends
from assay.cli.options import DbOpt, JsonOpt, console, emit_json
from assay.cli.trends import tables
from assay.cli.trends.options import CatalogueOpt, EpochOpt
from assay.cli.trends.views import load, show


def emissions_cmd(
    model: Annotated[
        list[str] | None,
        typer.Argument(help="Models (default: those with a published figure and the largest by compute)."),
    ] = None,
    gpu: Annotated[
        str, typer.Option(help="Accelerator if the catalogue names none: a100|h100|v100")
    ] = "a100",
    utilization: Annotated[float | None, typer.Option(help="Fraction of peak FLOP/s achieved.")] = None,
    pue: Annotated[float | None, typer.Option(help="Data-centre PUE.")] = None,
    grid: Annotated[float | None, typer.Option(help="Grid carbon intensity, kg CO2e per kWh.")] = None,
    limit: Annotated[int, typer.Option(help="Largest models by compute to add.", min=0)] = 8,
    epoch: EpochOpt = None,
    catalogue: CatalogueOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Training energy and CO2 estimated from chip-hours or compute, next to published figures."""
    view = trends.emissions(
        model, gpu=gpu, utilization=utilization, pue=pue, grid=grid, limit=limit, data=load(epoch, catalogue)
    )
    if as_json:
        emit_json(view.to_dict())
        return
    show("training emissions", view.estimates, tables.EMISSIONS)
    for name, a in view.defaults.items():
        console.print(Text(f"default {name} = {a.value:g} {a.unit}: {a.source}", style="dim"))


def runs_cmd(
    db: DbOpt = None,
    run: Annotated[list[str] | None, typer.Option("--run", help="Only these runs. Repeatable.")] = None,
    power_w: Annotated[float, typer.Option(help="Power draw while running, W.")] = trends.INFERENCE_POWER_W,
    pue: Annotated[float, typer.Option(help="PUE of where it ran.")] = 1.0,
    grid: Annotated[
        float, typer.Option(help="Grid carbon intensity, kg CO2e per kWh.")
    ] = trends.GRID_KG_PER_KWH,
    as_json: JsonOpt = False,
) -> None:
    """assay's own runs: requests, busy time, tokens, tokens/s, energy and CO2 per 1,000 queries."""
    found = trends.runs(run, power_w=power_w, pue=pue, grid=grid, store=db)
    if as_json:
        emit_json(found.to_dict())
        return
    if not found.footprints:
        console.print("no answered requests in the store's runs yet: run `assay run` first")
        return
    show("own runs", found.footprints, tables.FOOTPRINT)
    console.print(
        Text(f"energy = {power_w:g} W x busy time x PUE {pue:g}; CO2 = energy x {grid:g} kg/kWh", style="dim")
    )
