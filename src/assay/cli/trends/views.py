"""Terminal output of `assay trends` commands: a Rich table per list of records, and the figures
read with the rows that were skipped (reported on stderr)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from assay.api import trends
from assay.api.trends import TrendsData
from assay.cli.options import console, err
from assay.cli.trends.tables import Columns, cells


def fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) >= 1e6 else f"{value:.1f}"
    return str(value)


def show(title: str, records: Sequence[Any], columns: Columns) -> None:
    """A Rich table: one row per record."""
    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right")
    for rec in records:
        table.add_row(*[Text(fmt(c)) for c in cells(rec, columns)])
    console.print(table)


def load(
    epoch: Path | None = None,
    catalogue: list[Path] | None = None,
    results: list[Path] | None = None,
    baselines: list[Path] | None = None,
    skip_bad_rows: bool = False,
    db: str | None = None,
    source: str | None = None,
) -> TrendsData:
    """`assay.trends.load` from the command's options; each skipped row is reported on stderr."""
    data = trends.load(
        epoch=epoch,
        catalogue=catalogue or (),
        results=results or (),
        baselines=baselines or (),
        skip_bad_rows=skip_bad_rows,
        source=source,
        store=db,
    )
    for problem in data.skipped:
        err.print(Text(f"skipped: {problem}"), soft_wrap=True)
    return data
