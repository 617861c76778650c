"""Terminal output of `assay trends` commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from assay.trends import tables

console = Console()
err = Console(stderr=True)


def fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) >= 1e6 else f"{value:.1f}"
    return str(value)


def show(title: str, records: Sequence[Any], columns: tables.Columns) -> None:
    """A Rich table: one row per record."""
    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right")
    for rec in records:
        table.add_row(*[Text(fmt(c)) for c in tables.cells(rec, columns)])
    console.print(table)
