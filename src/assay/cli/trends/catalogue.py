"""`assay trends catalogue` and `assay trends benchmarks`: what the figures cover."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

import typer

from assay.cli.output import emit_json
from assay.cli.trends.helpers import load
from assay.cli.trends.options import CatalogueOpt, DbOpt, EpochOpt, JsonOpt, ResultsOpt, SkipOpt
from assay.cli.trends.views import show
from assay.trends import TrendsError, sota, tables


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
    show(f"model catalogue ({len(data.catalogue)} models)", entries, tables.CATALOGUE)


def benchmarks_cmd(
    epoch: EpochOpt = None, results: ResultsOpt = None, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Benchmarks with dated results, and how many."""
    counts = sota.benchmark_names(load(epoch, results=results, db=db).results)
    if as_json:
        emit_json(counts)
        return
    show("benchmarks", list(counts.items()), tables.COUNTS)
