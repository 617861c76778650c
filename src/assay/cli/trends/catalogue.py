"""`assay trends catalogue` and `assay trends benchmarks`: what the figures cover."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from assay.api import trends
from assay.cli.options import JsonOpt, emit_json
from assay.cli.trends import tables
from assay.cli.trends.options import CatalogueOpt, EpochOpt, JoinDbOpt, ResultsOpt, SkipOpt
from assay.cli.trends.views import load, show


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
    data = load(epoch, catalogue, skip_bad_rows=skip_bad_rows)
    entries = trends.catalogue(search, access=access, limit=limit, data=data)
    if as_json:
        emit_json({"count": len(entries), "models": [asdict(e) for e in entries]})
        return
    show(f"model catalogue ({len(data.catalogue)} models)", entries, tables.CATALOGUE)


def benchmarks_cmd(
    epoch: EpochOpt = None, results: ResultsOpt = None, db: JoinDbOpt = None, as_json: JsonOpt = False
) -> None:
    """Benchmarks with dated results, and how many."""
    counts = trends.benchmarks(data=load(epoch, results=results, db=db))
    if as_json:
        emit_json(counts)
        return
    show("benchmarks", list(counts.items()), tables.COUNTS)
