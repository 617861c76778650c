"""What every `assay` command shares, defined once: the consoles, --db, --json, JSON printing."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
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


# Holistic evaluation (docs/holistic.md): defined once, used by `assay run` and the commands that
# read its results.
PerturbOpt = Annotated[
    str | None,
    typer.Option(
        "--perturb",
        help="Ask every sample again under perturbations: robustness, fairness, or names "
        "(typos,dialect,...), comma-separated. Robustness/fairness = worst score per instance.",
    ),
]
ToxicityOpt = Annotated[
    str | None,
    typer.Option(
        "--toxicity",
        help="Flag toxic generations: 'rules' (offline word list, a crude baseline) or a model "
        "(judged through the safety policies).",
    ),
]
PriceInputOpt = Annotated[
    float | None,
    typer.Option("--price-per-1k-input", help="Price of 1,000 prompt tokens (any model).", min=0),
]
PriceOutputOpt = Annotated[
    float | None,
    typer.Option("--price-per-1k-output", help="Price of 1,000 completion tokens (any model).", min=0),
]
PricesFileOpt = Annotated[
    Path | None,
    typer.Option("--prices", help="YAML of per-1,000-token prices: {MODEL or '*': {input: X, output: Y}}."),
]
WattsPerCoreOpt = Annotated[
    float | None,
    typer.Option(
        "--watts-per-core",
        help="Energy estimate where RAPL cannot be read: W per busy core (default 12).",
        min=0,
    ),
]
GridIntensityOpt = Annotated[
    float | None,
    typer.Option(
        "--grid-g-per-kwh", help="Grid carbon intensity for CO2e, g/kWh (default 480, world 2023).", min=0
    ),
]
GroupOpt = Annotated[
    str | None,
    typer.Option(
        "--group",
        help="Rank by one metric group: accuracy, calibration, robustness, fairness, bias, toxicity, "
        "efficiency (default: every group's mean win rate beside the overall one).",
    ),
]
