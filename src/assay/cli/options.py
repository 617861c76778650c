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
UntilCiOpt = Annotated[
    float | None,
    typer.Option(
        "--until-ci",
        metavar="WIDTH",
        help="Adaptive: sample each task in a seeded random order and stop once every model's 95% "
        "interval (an anytime-valid confidence sequence) is narrower than WIDTH, e.g. 0.1.",
    ),
]
EpochsOpt = Annotated[
    int, typer.Option("--epochs", min=1, help="Ask each sample N times (sampled generation, distinct seeds).")
]
EpochsReducerOpt = Annotated[
    str,
    typer.Option(
        "--epochs-reducer", help="How a sample's epochs become one score: mean | majority | pass@K."
    ),
]


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
