"""`assay trends emissions` (training) and `assay trends runs` (assay's own runs): energy and CO2."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Annotated

import typer
from rich.text import Text

from assay.cli.output import emit_json
from assay.cli.trends.helpers import check_number, load
from assay.cli.trends.options import CatalogueOpt, EpochOpt, JsonOpt
from assay.cli.trends.views import console, show
from assay.trends import TrendsError, emissions, tables
from assay.trends.dataset import reported_emissions

_INFERENCE_W = emissions.DEFAULTS["inference_power_w"].value
_GRID = emissions.DEFAULTS["grid_kg_per_kwh"].value


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
    reported = reported_emissions()
    params = _params(gpu, utilization, pue, grid)
    estimates = emissions.choose_estimates(
        load(epoch, catalogue).catalogue, model, params, reported, largest=limit
    )
    if as_json:
        emit_json(
            {
                "estimates": [asdict(e) for e in estimates],
                "parameters": asdict(params),
                "defaults": {k: asdict(v) for k, v in emissions.DEFAULTS.items()},
                "reported": reported,
            }
        )
        return
    show("training emissions", estimates, tables.EMISSIONS)
    for name, a in emissions.DEFAULTS.items():
        console.print(Text(f"default {name} = {a.value:g} {a.unit}: {a.source}", style="dim"))


def _params(
    gpu: str, utilization: float | None, pue: float | None, grid: float | None
) -> emissions.EmissionParams:
    if gpu not in emissions.ACCELERATORS:
        raise TrendsError(f"unknown --gpu {gpu!r} (known: {', '.join(emissions.ACCELERATORS)})")
    if utilization is not None and not (math.isfinite(utilization) and 0 < utilization <= 1):
        raise TrendsError(f"--utilization must be above 0 and at most 1, got {utilization:g}")
    check_number(pue, "--pue", low=1.0)
    check_number(grid, "--grid")
    given = {"utilization": utilization, "pue": pue, "grid_kg_per_kwh": grid}
    return emissions.EmissionParams(
        accelerator=emissions.ACCELERATORS[gpu], **{k: v for k, v in given.items() if v is not None}
    )  # type: ignore[arg-type]


def runs_cmd(
    db: Annotated[str | None, typer.Option("--db", help="Results store (path or URL).")] = None,
    run: Annotated[list[str] | None, typer.Option("--run", help="Only these runs. Repeatable.")] = None,
    power_w: Annotated[float, typer.Option(help="Power draw while running, W.")] = _INFERENCE_W,
    pue: Annotated[float, typer.Option(help="PUE of where it ran.")] = 1.0,
    grid: Annotated[float, typer.Option(help="Grid carbon intensity, kg CO2e per kWh.")] = _GRID,
    as_json: JsonOpt = False,
) -> None:
    """assay's own runs: requests, busy time, tokens, tokens/s, energy and CO2 per 1,000 queries."""
    from assay.store import Store
    from assay.trends.runs import read_own_runs

    check_number(power_w, "--power-w")
    check_number(pue, "--pue", low=1.0)
    check_number(grid, "--grid")
    with Store.open(db) as store:
        own = read_own_runs(store, run)
    rows = [
        emissions.run_footprint(
            u.run_id,
            u.model,
            queries=u.queries,
            wall_s=u.busy_s,
            tokens=u.tokens,
            power_w=power_w,
            pue=pue,
            grid_kg_per_kwh=grid,
        )
        for u in own.usage
    ]
    if as_json:
        emit_json({"footprints": [asdict(r) for r in rows], "results": [asdict(r) for r in own.results]})
        return
    if not rows:
        console.print("no answered requests in the store's runs yet: run `assay run` first")
        return
    show("own runs", rows, tables.FOOTPRINT)
    console.print(
        Text(f"energy = {power_w:g} W x busy time x PUE {pue:g}; CO2 = energy x {grid:g} kg/kWh", style="dim")
    )
