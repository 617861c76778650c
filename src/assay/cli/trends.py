"""`assay trends ...`: the model catalogue, state of the art over time, saturation, open vs closed,
training emissions, own-run footprints, and charts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from assay.cli.output import emit_json
from assay.trends import TrendsData, TrendsError, emissions, gap, load_trends, sota, tables
from assay.trends.dataset import baseline_for, reported_emissions
from assay.trends.parse import CellError, parse_date

trends_app = typer.Typer(
    no_args_is_help=True,
    help="AI progress over time: catalogue, state of the art, saturation, open vs closed, emissions.",
)
console = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
EpochOpt = Annotated[
    Path | None, typer.Option("--epoch", help="Read an Epoch AI data folder instead of the shipped figures.")
]
CatalogueOpt = Annotated[
    list[Path] | None, typer.Option("--catalogue", help="Your catalogue CSV/YAML. Repeatable.")
]
ResultsOpt = Annotated[
    list[Path] | None, typer.Option("--results", help="Your results CSV/YAML (citation per row). Repeatable.")
]
BaselinesOpt = Annotated[
    list[Path] | None,
    typer.Option("--baselines", help="Human baselines CSV/YAML with citations. Repeatable."),
]
SkipOpt = Annotated[
    bool, typer.Option("--skip-bad-rows", help="Skip rows that cannot be read (each is reported).")
]
DbOpt = Annotated[
    str | None, typer.Option("--db", help="Also join assay's own runs from this store (path or URL).")
]
SourceOpt = Annotated[str | None, typer.Option("--source", help="Only results whose citation contains this.")]
_INFERENCE_W = emissions.DEFAULTS["inference_power_w"].value
_GRID = emissions.DEFAULTS["grid_kg_per_kwh"].value


def load(
    epoch: Path | None = None,
    catalogue: list[Path] | None = None,
    results: list[Path] | None = None,
    baselines: list[Path] | None = None,
    skip_bad_rows: bool = False,
    db: str | None = None,
    source: str | None = None,
) -> TrendsData:
    """The shipped figures (or an Epoch folder), the user's files, and own runs when --db is given."""
    own: tuple[Any, ...] = ()
    if db is not None:
        from assay.trends.runs import read_own_runs

        with _open_store(db) as store:
            own = read_own_runs(store).results
    data = load_trends(
        epoch_dir=epoch,
        catalogue_files=catalogue or (),
        results_files=results or (),
        baseline_files=baselines or (),
        extra_results=own,
        skip_bad_rows=skip_bad_rows,
    )
    for problem in data.skipped:
        err.print(Text(f"skipped: {problem}"), soft_wrap=True)
    if source:
        kept = tuple(r for r in data.results if source.lower() in r.source.lower())
        if not kept:
            raise TrendsError(f"no result's citation contains --source {source!r}")
        data = TrendsData(data.catalogue, kept, data.baselines, data.skipped)
    return data


def _open_store(db: str | None) -> Any:
    """The store whose runs join the figures: a plain path that does not exist is a typo, not a new
    empty store."""
    from assay.store import Store

    if db is not None and "://" not in db and not Path(db).is_file():
        what = "is a directory, not a" if Path(db).is_dir() else "does not exist: no"
        raise TrendsError(f"--db {db} {what} results store (run `assay run --db {db}` first)")
    return Store.open(db)


def _check_number(value: float | None, option: str, *, low: float = 0.0) -> None:
    """A finite number at least `low` (None: not given)."""
    if value is not None and not (math.isfinite(value) and value >= low):
        raise TrendsError(f"{option} must be a number of at least {low:g}, got {value:g}")


def _check_benchmarks(data: TrendsData, names: Sequence[str] | None) -> None:
    """Every benchmark named on the command line has dated results (case does not matter)."""
    for name in names or ():
        sota.require_results(data.results, name)


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) >= 1e6 else f"{value:.1f}"
    return str(value)


def _show(title: str, records: Sequence[Any], columns: tables.Columns) -> None:
    """A Rich table: one row per record."""
    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right")
    for rec in records:
        table.add_row(*[Text(_fmt(c)) for c in tables.cells(rec, columns)])
    console.print(table)


def _day(value: str | None) -> date | None:
    try:
        return parse_date(value, "--at")
    except CellError as exc:
        raise TrendsError(f"--at {value!r}: {exc.reason}") from None


@trends_app.command("catalogue")
def catalogue_cmd(
    search: Annotated[str | None, typer.Argument(help="Part of a model or developer name.")] = None,
    access: Annotated[str | None, typer.Option(help="open | closed | unknown")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows (newest first).", min=1)] = 30,
    epoch: EpochOpt = None,
    catalogue: CatalogueOpt = None,
    skip_bad_rows: SkipOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Models with developer, release date, parameters, tokens, compute, cost, access, modality."""
    if access is not None and access not in ("open", "closed", "unknown"):
        raise TrendsError(f"--access must be open, closed or unknown, not {access!r}")
    data = load(epoch, catalogue, skip_bad_rows=skip_bad_rows)
    entries = data.catalogue.search(search) if search else list(data.catalogue)
    entries = [e for e in entries if access is None or e.access == access]
    entries = sorted(entries, key=lambda e: (e.release_date or date.min, e.name), reverse=True)[:limit]
    if as_json:
        emit_json({"count": len(entries), "models": [asdict(e) for e in entries]})
        return
    columns: dict[str, Any] = {"model": "name", "developer": "developer", "released": "release_date"}
    columns |= {"parameters": "parameters", "tokens": "training_tokens"}
    columns |= {"compute (FLOP)": "training_compute_flop", "cost (USD)": "training_cost_usd"}
    _show(f"model catalogue ({len(data.catalogue)} models)", entries, tables.CATALOGUE)


@trends_app.command("benchmarks")
def benchmarks_cmd(
    epoch: EpochOpt = None, results: ResultsOpt = None, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Benchmarks with dated results, and how many."""
    counts = sota.benchmark_names(load(epoch, results=results, db=db).results)
    if as_json:
        emit_json(counts)
        return
    _show("benchmarks", list(counts.items()), tables.COUNTS)


@trends_app.command("sota")
def sota_cmd(
    benchmark: Annotated[str, typer.Argument(help="Benchmark name, e.g. MMLU (see `trends benchmarks`).")],
    epoch: EpochOpt = None,
    results: ResultsOpt = None,
    baselines: BaselinesOpt = None,
    source: SourceOpt = None,
    skip_bad_rows: SkipOpt = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """State of the art by release date: each new record, the best by year with yearly gains."""
    data = load(epoch, None, results, baselines, skip_bad_rows, db, source)
    series = sota.sota_series(data.results, benchmark)
    years = sota.sota_by_year(data.results, benchmark)
    base = baseline_for(data, benchmark)
    crossed = sota.baseline_crossing(series, base) if base else None
    if as_json:
        emit_json(
            {
                "benchmark": benchmark,
                "records": [asdict(p) for p in series],
                "by_year": [asdict(y) for y in years],
                "baseline": asdict(base) if base else None,
                "baseline_passed": asdict(crossed) if crossed else None,
            }
        )
        return
    _show(f"{benchmark}: new records by release date", series, tables.RECORDS)
    _show(f"{benchmark}: best to date by year", years, tables.BY_YEAR)
    if base:
        when = f"first passed on {crossed.date} by {crossed.model}" if crossed else "not yet passed"
        console.print(Text(f"{base.label} {base.score:g} ({base.citation}): {when}"))


@trends_app.command("saturation")
def saturation_cmd(
    benchmark: Annotated[list[str] | None, typer.Argument(help="Benchmarks (default: every % one).")] = None,
    within: Annotated[float, typer.Option(help="Points below the ceiling/baseline that count.")] = 5.0,
    min_gain: Annotated[float, typer.Option(help="A yearly gain below this many points counts.")] = 1.0,
    epoch: EpochOpt = None,
    results: ResultsOpt = None,
    baselines: BaselinesOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Benchmarks whose best score is near the ceiling or human baseline, or whose gains stalled."""
    _check_number(within, "--within")
    _check_number(min_gain, "--min-gain")
    data = load(epoch, None, results, baselines)
    units = {r.benchmark.lower(): r.unit for r in data.results}
    names = benchmark or [b for b in sota.benchmark_names(data.results) if units[b.lower()] == "%"]
    rows = []
    for name in names:
        base = baseline_for(data, name)
        ceiling = 100.0 if units.get(name.lower(), "%") == "%" else None
        rows.append(
            sota.saturation(
                data.results,
                name,
                ceiling=ceiling,
                baseline=base.score if base else None,
                within=within,
                min_gain=min_gain,
            )
        )
    if as_json:
        emit_json([asdict(r) for r in rows])
        return
    _show("saturation", rows, tables.SATURATION)


@trends_app.command("gap")
def gap_cmd(
    benchmark: Annotated[list[str] | None, typer.Argument(help="Benchmarks (default: every % one).")] = None,
    at: Annotated[str | None, typer.Option(help="As of this date (YYYY-MM-DD); default: latest.")] = None,
    epoch: EpochOpt = None,
    results: ResultsOpt = None,
    source: SourceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Best closed vs best open model per benchmark, the relative advantage and its median."""
    day = _day(at)
    data = load(epoch, None, results, source=source)
    _check_benchmarks(data, benchmark)
    summary = gap.gap_summary(data.results, benchmark, at=day)
    if as_json:
        emit_json(asdict(summary))
        return
    _show("open vs closed", summary.benchmarks, tables.GAP)
    median = "-" if summary.median_relative is None else f"{100 * summary.median_relative:.1f}%"
    console.print(
        f"median relative advantage of closed models over {len(summary.benchmarks)} benchmarks: {median}"
    )
    if summary.left_out:
        console.print(Text(f"left out (no open or no closed result): {', '.join(summary.left_out)}"))


@trends_app.command("lag")
def lag_cmd(
    benchmark: Annotated[str, typer.Argument(help="Benchmark name.")],
    epoch: EpochOpt = None,
    results: ResultsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """How long open-weights models took to reach each closed record."""
    data = load(epoch, None, results)
    _check_benchmarks(data, [benchmark])
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
    _show(f"{benchmark}: time for open models to match closed records", lags, tables.LAG)
    console.print(f"median lag: {'-' if median is None else f'{median:.0f} days'}")


def _params(
    gpu: str, utilization: float | None, pue: float | None, grid: float | None
) -> emissions.EmissionParams:
    if gpu not in emissions.ACCELERATORS:
        raise TrendsError(f"unknown --gpu {gpu!r} (known: {', '.join(emissions.ACCELERATORS)})")
    if utilization is not None and not (math.isfinite(utilization) and 0 < utilization <= 1):
        raise TrendsError(f"--utilization must be above 0 and at most 1, got {utilization:g}")
    _check_number(pue, "--pue", low=1.0)
    _check_number(grid, "--grid")
    given = {"utilization": utilization, "pue": pue, "grid_kg_per_kwh": grid}
    return emissions.EmissionParams(
        accelerator=emissions.ACCELERATORS[gpu], **{k: v for k, v in given.items() if v is not None}
    )  # type: ignore[arg-type]


@trends_app.command("emissions")
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
    _show("training emissions", estimates, tables.EMISSIONS)
    for name, a in emissions.DEFAULTS.items():
        console.print(Text(f"default {name} = {a.value:g} {a.unit}: {a.source}", style="dim"))


@trends_app.command("runs")
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

    _check_number(power_w, "--power-w")
    _check_number(pue, "--pue", low=1.0)
    _check_number(grid, "--grid")
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
    _show("own runs", rows, tables.FOOTPRINT)
    console.print(
        Text(f"energy = {power_w:g} W x busy time x PUE {pue:g}; CO2 = energy x {grid:g} kg/kWh", style="dim")
    )


@trends_app.command("chart")
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
