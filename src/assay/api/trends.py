"""`assay.trends`: AI progress over time, through the API. A namespace: each function is one question.

    import assay
    assay.trends.sota("MMLU").by_year            # best score to date per year, with yearly gains
    assay.trends.gap(at="2024-06-30").median_relative
    assay.trends.saturation(["MMLU", "HellaSwag"])
    assay.trends.lag("MMLU").median_days         # days until an open model matched each closed record
    assay.trends.emissions(["Llama 2-70B"], pue=1.0)
    assay.trends.catalogue("llama 2")            # catalogue entries, newest first
    assay.trends.chart("sota", benchmark="MMLU", out="mmlu.svg")

    data = assay.trends.load(results=["mine.csv"], store="results.db")   # other figures, own runs
    assay.trends.sota("mmlu", data=data)

Every function reads the shipped figures (Epoch AI, CC BY 4.0) unless given `data=` from `load`.
Lists of records turn into tables with `pandas.DataFrame(records)`. Errors name an option as the
command line spells it (`--within`). The analysis itself (pure functions over records) is the domain
package: `from assay.trends import sota, gap, emissions` (`assay.trends` the attribute is this namespace).
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from assay.api.charts import save_chart
from assay.api.stores import StoreLike, using_store
from assay.api.trend_views import EmissionsView, LagView, RunFootprints, SotaView, TrendsOverview
from assay.trends import TrendsData, TrendsError, load_default, load_trends
from assay.trends import emissions as footprint
from assay.trends import gap as openness
from assay.trends import sota as frontier
from assay.trends.dataset import baseline_for, reported_emissions
from assay.trends.gap import GapSummary
from assay.trends.parse import CellError, parse_date
from assay.trends.records import BenchmarkResult, ModelEntry
from assay.trends.runs import read_own_runs
from assay.trends.sota import Saturation

__all__ = [
    "CHARTS",
    "GRID_KG_PER_KWH",
    "INFERENCE_POWER_W",
    "EmissionsView",
    "LagView",
    "RunFootprints",
    "SotaView",
    "TrendsData",
    "TrendsOverview",
    "benchmarks",
    "catalogue",
    "chart",
    "emissions",
    "gap",
    "lag",
    "load",
    "overview",
    "runs",
    "saturation",
    "sota",
]

PathLike = str | os.PathLike[str]
CHARTS = ("sota", "gap", "gap-summary", "scaling", "emissions")
SOURCE = "Epoch AI, Data on AI Models and Benchmarking Hub (CC BY 4.0)"
DASHBOARD_BENCHMARKS = ("MMLU", "GSM8K", "GPQA", "BBH", "HellaSwag", "ARC-Challenge")
INFERENCE_POWER_W = footprint.DEFAULTS["inference_power_w"].value  # own runs: one workstation under load
GRID_KG_PER_KWH = footprint.DEFAULTS["grid_kg_per_kwh"].value  # world average, 2023


@functools.lru_cache(maxsize=1)
def _shipped() -> TrendsData:
    return load_default()  # read once per process and shared: treat it as read-only


def load(
    *,
    epoch: PathLike | None = None,
    catalogue: Sequence[PathLike] = (),
    results: Sequence[PathLike] = (),
    baselines: Sequence[PathLike] = (),
    skip_bad_rows: bool = False,
    source: str | None = None,
    store: StoreLike = None,
) -> TrendsData:
    """The figures to work on: the shipped ones (or an Epoch data folder), your catalogue, results
    and baseline files on top, and assay's own runs from `store` (none when None). Rows skipped with
    `skip_bad_rows` are in `.skipped`; `source` keeps only results whose citation contains it."""
    given = epoch or catalogue or results or baselines or skip_bad_rows or store is not None
    if not given:
        data = _shipped()
    else:
        own: tuple[BenchmarkResult, ...] = ()
        if store is not None:
            _check_store_exists(store)
            with using_store(store) as opened:
                own = read_own_runs(opened).results
        data = load_trends(
            epoch_dir=Path(epoch) if epoch else None,
            catalogue_files=[Path(p) for p in catalogue],
            results_files=[Path(p) for p in results],
            baseline_files=[Path(p) for p in baselines],
            extra_results=own,
            skip_bad_rows=skip_bad_rows,
        )
    if source:
        kept = tuple(r for r in data.results if source.lower() in r.source.lower())
        if not kept:
            raise TrendsError(f"no result's citation contains --source {source!r}")
        data = TrendsData(data.catalogue, kept, data.baselines, data.skipped)
    return data


def catalogue(
    search: str | None = None, *, access: str | None = None, limit: int = 30, data: TrendsData | None = None
) -> list[ModelEntry]:
    """Models with developer, release date, parameters, tokens, compute, cost, access, modality:
    those whose name or developer contains `search`, of one `access` (open, closed, unknown), newest first."""
    if access is not None and access not in ("open", "closed", "unknown"):
        raise TrendsError(f"--access must be open, closed or unknown, not {access!r}")
    models = (data or _shipped()).catalogue
    entries = models.search(search) if search else list(models)
    entries = [e for e in entries if access is None or e.access == access]
    return sorted(entries, key=lambda e: (e.release_date or date.min, e.name), reverse=True)[:limit]


def benchmarks(*, data: TrendsData | None = None) -> dict[str, int]:
    """Benchmark -> number of dated results, most first."""
    return frontier.benchmark_names((data or _shipped()).results)


def sota(benchmark: str, *, data: TrendsData | None = None) -> SotaView:
    """State of the art by release date: each new record, the best by year with yearly gains, and
    when the human baseline (from `load(baselines=...)`) was first passed."""
    data = data or _shipped()
    series = frontier.sota_series(data.results, benchmark)
    base = baseline_for(data, benchmark)
    return SotaView(
        benchmark=benchmark,
        records=tuple(series),
        by_year=tuple(frontier.sota_by_year(data.results, benchmark)),
        baseline=base,
        baseline_passed=frontier.baseline_crossing(series, base) if base else None,
    )


def saturation(
    benchmarks: Sequence[str] | None = None,
    *,
    within: float = 5.0,
    min_gain: float = 1.0,
    data: TrendsData | None = None,
) -> list[Saturation]:
    """Benchmarks (default: every one in %) whose best score is within `within` points of the ceiling
    or the human baseline, or whose last yearly gain was under `min_gain` points."""
    _check_number(within, "--within")
    _check_number(min_gain, "--min-gain")
    data = data or _shipped()
    units = {r.benchmark.lower(): r.unit for r in data.results}
    names = benchmarks or [b for b in frontier.benchmark_names(data.results) if units[b.lower()] == "%"]
    rows = []
    for name in names:
        base = baseline_for(data, name)
        rows.append(
            frontier.saturation(
                data.results,
                name,
                ceiling=100.0 if units.get(name.lower(), "%") == "%" else None,
                baseline=base.score if base else None,
                within=within,
                min_gain=min_gain,
            )
        )
    return rows


def gap(
    benchmarks: Sequence[str] | None = None, *, at: date | str | None = None, data: TrendsData | None = None
) -> GapSummary:
    """Best closed vs best open model per benchmark (default: every one in %) as of `at` (a date or
    YYYY-MM-DD; default: the latest), the relative advantage and its median."""
    day = _day(at)
    data = data or _shipped()
    for name in benchmarks or ():
        frontier.require_results(data.results, name)
    return openness.gap_summary(data.results, benchmarks, at=day)


def lag(benchmark: str, *, data: TrendsData | None = None) -> LagView:
    """How long open-weights models took to match each closed record, and the median."""
    data = data or _shipped()
    frontier.require_results(data.results, benchmark)
    lags = openness.open_lag(data.results, benchmark)
    return LagView(benchmark, openness.median_lag_days(lags), tuple(lags))


def emissions(
    models: Sequence[str] | None = None,
    *,
    gpu: str = footprint.DEFAULT_ACCELERATOR,
    utilization: float | None = None,
    pue: float | None = None,
    grid: float | None = None,
    limit: int = 8,
    data: TrendsData | None = None,
) -> EmissionsView:
    """Training energy and CO2 estimated from chip-hours or compute, next to published figures, for
    the `models` named (default: those with a published figure and the `limit` largest by compute).
    `gpu` (a100, h100, v100) where the catalogue names no accelerator; unset parameters take the
    defaults, each with its source in `.defaults`."""
    params = _emission_params(gpu, utilization, pue, grid)
    reported = reported_emissions()
    chosen = footprint.choose_estimates(
        (data or _shipped()).catalogue, models, params, reported, largest=limit
    )
    return EmissionsView(tuple(chosen), params, dict(footprint.DEFAULTS), reported)


def runs(
    runs: Sequence[str] | None = None,
    *,
    power_w: float = INFERENCE_POWER_W,
    pue: float = 1.0,
    grid: float = GRID_KG_PER_KWH,
    store: StoreLike = None,
) -> RunFootprints:
    """assay's own runs (default: the newest 20): requests, busy time, tokens, tokens/s, and energy
    and CO2 per 1,000 queries at `power_w` watts."""
    _check_number(power_w, "--power-w")
    _check_number(pue, "--pue", low=1.0)
    _check_number(grid, "--grid")
    with using_store(store) as opened:
        own = read_own_runs(opened, runs)
    rows = tuple(
        footprint.run_footprint(
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
    )
    return RunFootprints(rows, own.results, power_w, pue, grid)


def chart(
    kind: str,
    *,
    benchmark: str = "MMLU",
    x: str = "compute",
    colour: str = "access",
    out: PathLike | None = None,
    data: TrendsData | None = None,
) -> dict[str, Any]:
    """A Vega-Lite spec: sota, gap or scaling (score against `x`: compute or parameters, coloured by
    access or developer) for `benchmark`; gap-summary; or emissions. With `out` (.json, .html, .svg or
    .png) it is also saved there."""
    from assay.trends import charts as trend_charts  # Altair loads only to draw a chart

    if kind not in CHARTS:
        raise TrendsError(f"unknown chart {kind!r} ({', '.join(CHARTS)})")
    data = data or _shipped()
    if kind == "sota":
        spec = trend_charts.sota_chart(data.results, benchmark, data.baselines)
    elif kind == "gap":
        spec = trend_charts.gap_chart(data.results, benchmark)
    elif kind == "gap-summary":
        spec = trend_charts.gap_summary_chart(openness.gap_summary(data.results))
    elif kind == "scaling":
        spec = trend_charts.scaling_chart(data.results, data.catalogue, benchmark, x, colour)
    else:
        estimates = footprint.choose_estimates(
            data.catalogue, None, footprint.EmissionParams(), reported_emissions()
        )
        spec = trend_charts.emissions_chart(estimates)
    if out is not None:
        save_chart(spec, out, error=TrendsError)
    return spec


def overview(benchmark: str = DASHBOARD_BENCHMARKS[0], *, data: TrendsData | None = None) -> TrendsOverview:
    """One benchmark as the dashboard shows it: the best by year, the median open lag, the charts
    (state of the art; best open vs closed when both exist; the advantage per benchmark), and the
    benchmarks to choose from."""
    from assay.trends import charts as trend_charts  # Altair loads only to draw a chart

    data = data or _shipped()
    years = frontier.sota_by_year(data.results, benchmark)
    median = openness.median_lag_days(openness.open_lag(data.results, benchmark))
    shown = [("state of the art over time", trend_charts.sota_chart(data.results, benchmark))]
    with contextlib.suppress(TrendsError):  # a benchmark with only closed (or open) results has no gap
        shown.append(("best open vs best closed", trend_charts.gap_chart(data.results, benchmark)))
    summary = openness.gap_summary(data.results)
    if summary.benchmarks:
        shown.append(("closed-model advantage per benchmark", trend_charts.gap_summary_chart(summary)))
    known = frontier.benchmark_names(data.results)
    choices = tuple(b for b in DASHBOARD_BENCHMARKS if b in known) or tuple(known)[:6]
    return TrendsOverview(benchmark, SOURCE, tuple(years), median, tuple(shown), choices)


# -- checks ---------------------------------------------------------------------------------------
def _check_number(value: float | None, option: str, *, low: float = 0.0) -> None:
    """A finite number at least `low` (None: not given)."""
    if value is not None and not (math.isfinite(value) and value >= low):
        raise TrendsError(f"{option} must be a number of at least {low:g}, got {value:g}")


def _day(at: date | str | None) -> date | None:
    if at is None or isinstance(at, date):
        return at
    try:
        return parse_date(at, "--at")
    except CellError as exc:
        raise TrendsError(f"--at {at!r}: {exc.reason}") from None


def _emission_params(
    gpu: str, utilization: float | None, pue: float | None, grid: float | None
) -> footprint.EmissionParams:
    if gpu not in footprint.ACCELERATORS:
        raise TrendsError(f"unknown --gpu {gpu!r} (known: {', '.join(footprint.ACCELERATORS)})")
    if utilization is not None and not (math.isfinite(utilization) and 0 < utilization <= 1):
        raise TrendsError(f"--utilization must be above 0 and at most 1, got {utilization:g}")
    _check_number(pue, "--pue", low=1.0)
    _check_number(grid, "--grid")
    default = footprint.EmissionParams()
    return footprint.EmissionParams(
        accelerator=footprint.ACCELERATORS[gpu],
        utilization=default.utilization if utilization is None else utilization,
        pue=default.pue if pue is None else pue,
        grid_kg_per_kwh=default.grid_kg_per_kwh if grid is None else grid,
    )


def _check_store_exists(store: StoreLike) -> None:
    """The store whose runs join the figures: a plain path that does not exist is a typo, not a new
    empty store."""
    if isinstance(store, str | os.PathLike) and "://" not in str(store) and not Path(store).is_file():
        what = "is a directory, not a" if Path(store).is_dir() else "does not exist: no"
        raise TrendsError(f"--db {store} {what} results store (run `assay run --db {store}` first)")
