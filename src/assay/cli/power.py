"""`assay power`: how many samples a task needs to tell two models apart, or what a size can detect."""

from __future__ import annotations

import math
from typing import Annotated

import typer

import assay
from assay.cli.options import JsonOpt, console, emit_json


def power_cmd(
    baseline: Annotated[float, typer.Option(help="Accuracy of the weaker model, e.g. 0.6.")],
    effect: Annotated[
        float | None, typer.Option(help="Gain to detect, as a fraction (0.03 = 3 points).")
    ] = None,
    samples: Annotated[
        int | None, typer.Option(help="Samples per model; prints the minimum detectable effect.")
    ] = None,
    correlation: Annotated[
        float, typer.Option(help="Correlation of the two models' per-sample scores (0 is conservative).")
    ] = 0.0,
    alpha: Annotated[float, typer.Option(help="Two-sided significance level.")] = 0.05,
    power: Annotated[float, typer.Option(help="Chance of detecting the effect if it is real.")] = 0.8,
    as_json: JsonOpt = False,
) -> None:
    """Samples a task needs (per model, paired), or with --samples the minimum detectable effect."""
    result = assay.power_analysis(
        baseline, effect=effect, samples=samples, correlation=correlation, alpha=alpha, power=power
    )
    if as_json:
        emit_json(result.to_dict())
        return
    terms = f"alpha {result.alpha:g}, power {result.power:g}, correlation {result.correlation:g}"
    if result.solved_for == "samples":
        console.print(
            f"{result.samples:,} samples per model (paired: both answer the same samples) to detect "
            f"{result.baseline * 100:.1f}% -> {(result.baseline + result.effect) * 100:.1f}% ({terms})",
            soft_wrap=True,
        )
    elif math.isinf(result.effect):
        console.print(
            f"{result.samples:,} samples cannot reliably detect any gain over {result.baseline:g}",
            soft_wrap=True,
        )
    else:
        console.print(
            f"{result.samples:,} samples can detect {result.effect * 100:.1f} points "
            f"({result.baseline * 100:.1f}% -> {(result.baseline + result.effect) * 100:.1f}%; {terms})",
            soft_wrap=True,
        )
