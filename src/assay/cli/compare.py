"""`assay compare A B`: is A better than B, task by task, on the samples both answered?

A and B are each a run id (or a unique prefix, or "latest") whose only model is compared, RUN:MODEL
for one model of a run, or a bare model name for its newest results per task."""

from __future__ import annotations

import math
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

import assay
from assay.api.compare import Comparison, TaskComparison
from assay.cli.options import DbOpt, JsonOpt, console, emit_json, err

SIDE_HELP = "A run id (or unique prefix, or 'latest') with one model, RUN:MODEL, or a model name."


def compare_cmd(
    a: Annotated[str, typer.Argument(help=SIDE_HELP, show_default=False)],
    b: Annotated[str, typer.Argument(help=SIDE_HELP, show_default=False)],
    task: Annotated[
        list[str] | None, typer.Option("--task", "-t", help="Only these tasks (default: all both have).")
    ] = None,
    metric: Annotated[
        str | None, typer.Option(help="Compare this metric instead of each task's headline.")
    ] = None,
    alpha: Annotated[
        float, typer.Option(help="Two-sided significance level (95% intervals at 0.05).")
    ] = 0.05,
    power: Annotated[float, typer.Option(help="Power for the minimum detectable difference.")] = 0.8,
    resamples: Annotated[int, typer.Option(help="Paired bootstrap resamples.", min=100)] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Paired comparison per task: difference with its interval, p-value (Holm-corrected across
    tasks), correlation, the smallest difference the run could detect, and a verdict in words."""
    # a spinner on stderr (only on a terminal): big runs take seconds to read and resample
    with err.status("reading results and resampling pairs", spinner="dots"):
        result = assay.compare(
            a,
            b,
            tasks=task,
            metric=metric,
            alpha=alpha,
            power=power,
            resamples=resamples,
            seed=seed,
            store=db,
        )
    if as_json:
        emit_json(result.to_dict())
        return
    print_comparison(result)


def _num(value: float, spec: str) -> str:
    return "-" if value is None or math.isnan(value) else format(value, spec)


def _difference(t: TaskComparison) -> str:
    if math.isnan(t.difference):
        return "-"
    s, spec = t.scale, "+.1f" if t.scale == 100 else "+.3g"
    return f"{t.difference * s:{spec}} ({t.low * s:{spec}} to {t.high * s:{spec}})"


def _row(t: TaskComparison) -> list[Text]:
    mean = ".1f" if t.scale == 100 else ".3g"
    cells = [
        t.task,
        t.metric,
        f"{t.shared:,}" + (f" (-{t.dropped:,})" if t.dropped else ""),
        _num(t.mean_a * t.scale, mean),
        _num(t.mean_b * t.scale, mean),
        _difference(t),
        _num(t.p_value, ".3g"),
        _num(t.p_holm, ".3g"),
        _num(t.correlation, ".2f"),
        _num(t.detectable * t.scale, mean),
    ]
    style = "green" if t.significant else ""
    return [Text(c) for c in cells] + [Text(t.verdict, style=style)]


def print_comparison(result: Comparison) -> None:
    """The table, then what the columns mean (untrusted names go in as Text: no markup is read)."""
    a, b = result.a, result.b
    console.print(Text(f"A = {a.label}: {a.model} from run {', '.join(a.runs)}"), soft_wrap=True)
    console.print(Text(f"B = {b.label}: {b.model} from run {', '.join(b.runs)}"), soft_wrap=True)
    level = f"{(1 - result.alpha) * 100:g}% CI"
    table = Table(show_lines=False)
    for name, justify in [
        ("task", "left"),
        ("metric", "left"),
        ("n (dropped)", "right"),
        ("A", "right"),
        ("B", "right"),
        (f"A - B ({level})", "right"),
        ("p", "right"),
        ("p (Holm)", "right"),
        ("r", "right"),
        ("detectable", "right"),
        ("verdict", "left"),
    ]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for t in result.tasks:
        table.add_row(*_row(t))
    console.print(table)
    notes = [
        "n: samples both sides scored; dropped: answered by one side only, failed or unscored on either "
        "side, or changed content under the same id.",
        "Scores in points (x100) for metrics between 0 and 1. p: exact McNemar for 0/1 scores, else a "
        "paired t-test (clustered when samples carry a cluster); interval: paired bootstrap; "
        f"r: correlation of per-sample scores; detectable: at power {result.power:g}.",
    ]
    for t in result.tasks:
        if t.dropped:
            notes.append(
                f"{t.task}: dropped {t.only_a} only in A, {t.only_b} only in B, {t.errored} without a "
                f"score, {t.mismatched} changed (without a score: {t.unscored_a} of A's, {t.unscored_b} "
                "of B's)"
            )
    if result.only_in_a or result.only_in_b:
        notes.append(
            f"not compared (one side only): A {', '.join(result.only_in_a) or '-'}; "
            f"B {', '.join(result.only_in_b) or '-'}"
        )
    for note in notes:
        console.print(Text(note, style="dim"), soft_wrap=True)
