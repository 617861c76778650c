"""`assay trends sota` and `assay trends saturation`: the best scores over time, and where they stall."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.text import Text

from assay.cli.output import emit_json
from assay.cli.trends.helpers import check_number, load
from assay.cli.trends.options import BaselinesOpt, DbOpt, EpochOpt, JsonOpt, ResultsOpt, SkipOpt, SourceOpt
from assay.cli.trends.views import console, show
from assay.trends import sota, tables
from assay.trends.dataset import baseline_for


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
    show(f"{benchmark}: new records by release date", series, tables.RECORDS)
    show(f"{benchmark}: best to date by year", years, tables.BY_YEAR)
    if base:
        when = f"first passed on {crossed.date} by {crossed.model}" if crossed else "not yet passed"
        console.print(Text(f"{base.label} {base.score:g} ({base.citation}): {when}"))


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
    check_number(within, "--within")
    check_number(min_gain, "--min-gain")
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
    show("saturation", rows, tables.SATURATION)
