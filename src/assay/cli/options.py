"""What every `assay` command shares, defined once: the consoles, --db, --json, JSON printing."""

from __future__ import annotations

import json
import math
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

console = Console()
err = Console(stderr=True)

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="SQLite file or postgresql:// URL (default: $ASSAY_DB or the user data dir)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
ProgressOpt = Annotated[bool, typer.Option(help="Show progress bars.")]


def json_safe(value: Any) -> Any:
    """NaN and infinities become null: JSON has no spelling for them and parsers reject Python's."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def emit_json(value: Any) -> None:
    """Machine output: plain, valid JSON on stdout (no colour, no wrapping)."""
    text = json.dumps(json_safe(value), indent=2, ensure_ascii=False, allow_nan=False, default=str)
    sys.stdout.write(text + "\n")
