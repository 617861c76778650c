"""`assay trends sota` and `assay trends saturation`: the best scores over time, and where they stall."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.text import Text

from assay.api import trends
from assay.cli.options import JsonOpt, console, emit_json
from assay.cli.trends import tables
from assay.cli.trends.options import BaselinesOpt, EpochOpt, JoinDbOpt, ResultsOpt, SkipOpt, SourceOpt
from assay.cli.trends.views import load, show


def sota_cmd(
    benchmark: Annotated[str, typer.Argument(help="Benchmark name, e.g. MMLU (see `trends benchmarks`).")],
    epoch: EpochOpt = None,
    results: ResultsOpt = None,
    baselines: BaselinesOpt = None,
    source: SourceOpt = None,
    skip_bad_rows: SkipOpt = False,
    db: JoinDbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """State of the art by release date: each new record, the best by year with yearly gains."""
    view = trends.sota(benchmark, data=load(epoch, None, results, baselines, skip_bad_rows, db, source))
    if as_json:
        emit_json(view.to_dict())
        return
    show(f"{benchmark}: new records by release date", view.records, tables.RECORDS)
    show(f"{benchmark}: best to date by year", view.by_year, tables.BY_YEAR)
    if view.baseline:
        base, crossed = view.baseline, view.baseline_passed
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
    rows = trends.saturation(
        benchmark, within=within, min_gain=min_gain, data=load(epoch, None, results, baselines)
    )
    if as_json:
        emit_json([asdict(r) for r in rows])
        return
    show("saturation", rows, tables.SATURATION)
