"""The options only `assay trends` commands take (--db, --json and the consoles are in cli.options)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
JoinDbOpt = Annotated[
    str | None, typer.Option("--db", help="Also join assay's own runs from this store (path or URL).")
]
SourceOpt = Annotated[str | None, typer.Option("--source", help="Only results whose citation contains this.")]
