"""`assay safety ...`: policies, a model as a safety classifier, classifier evaluation, refusal rates,
and the safety report. Each command is one call to `assay.api` and its printing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from assay.api import (
    ClassificationResult,
    ClassifierRow,
    RefusalResult,
    safety_classify,
    safety_eval_classifier,
    safety_policies,
    safety_refusals,
    safety_report,
)
from assay.cli.options import DbOpt, JsonOpt, ProgressOpt, console, emit_json

safety_app = typer.Typer(no_args_is_help=True, help="Harm classification, refusals, bias and truthfulness.")

ModelOpt = Annotated[
    str,
    typer.Option("--model", "-m", help="Built-in name (smollm2-135m, ...), openai:NAME, llama.cpp:/x.gguf"),
]
PolicyFileOpt = Annotated[
    Path | None, typer.Option("--policy-file", help="Your own policies (YAML/JSON, see docs/safety.md).")
]
MethodOpt = Annotated[
    str, typer.Option(help="auto (log-likelihood, else parsed verdict) | loglikelihood | verdict.")
]
LimitOpt = Annotated[int | None, typer.Option(help="At most this many rows.", min=1)]
PromptModeOpt = Annotated[str, typer.Option(help="auto | chat | completion.")]
ThresholdOpt = Annotated[float, typer.Option(help="P(violation) at or above this is a violation.")]


def _fmt(value: float | None) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


@safety_app.command("policies")
def list_policies(policy_file: PolicyFileOpt = None, as_json: JsonOpt = False) -> None:
    """Built-in harm policies (ShieldGemma, Llama Guard 1-4) and those in a policy file."""
    found = safety_policies(policy_file)
    if as_json:
        emit_json([asdict(p) for p in found])
        return
    table = Table(title="safety policies")
    for col in ("name", "title", "source", "categories"):
        table.add_column(col)
    for p in found:
        table.add_row(Text(p.name), Text(p.title), Text(p.source), str(len(p.categories) or "-"))
    console.print(table)


@safety_app.command("classify")
def classify_cmd(
    policy: Annotated[str, typer.Option("--policy", "-p", help="Policy name (see `assay safety policies`).")],
    model: ModelOpt = "smollm2-135m",
    data: Annotated[Path | None, typer.Option(help="JSONL/JSON/CSV rows: text, response?, label?")] = None,
    text: Annotated[
        list[str] | None, typer.Option("--text", help="A user prompt to classify. Repeatable.")
    ] = None,
    policy_file: PolicyFileOpt = None,
    method: MethodOpt = "auto",
    threshold: ThresholdOpt = 0.5,
    limit: LimitOpt = None,
    prompt_mode: PromptModeOpt = "auto",
    db: DbOpt = None,
    as_json: JsonOpt = False,
    progress: ProgressOpt = True,
) -> None:
    """Ask a model whether each text violates a policy; P(violation) per text (and metrics if labelled)."""
    result = safety_classify(
        model,
        policy,
        texts=text,
        data=data,
        policy_file=policy_file,
        method=method,
        threshold=threshold,
        limit=limit,
        prompt_mode=prompt_mode,
        show_progress=progress and not as_json,
        store=db,
    )
    if as_json:
        emit_json(asdict(result))
        return
    _print_classified(result)


def _print_classified(result: ClassificationResult) -> None:
    table = Table(title=f"{result.model} as classifier · {result.policy} · run {result.run_id}")
    for col in ("id", "kind", "label", "P(violation)", "verdict"):
        table.add_column(col, justify="right" if col == "P(violation)" else "left")
    for item in result.items:
        label = "-" if item.label is None else str(item.label)
        verdict = item.verdict or (f"error: {item.error}" if item.error else "-")
        table.add_row(Text(item.id), item.kind, label, _fmt(item.p_violation), Text(verdict))
    console.print(table)
    if result.metrics:
        _print_metrics([ClassifierRow(result.model, result.policy, result.method, result.metrics)])


def _print_metrics(rows: Sequence[ClassifierRow]) -> None:
    table = Table(title="classifier metrics")
    cols = ("n", "precision", "recall", "f1", "best_f1", "best_f1_threshold", "auprc", "roc_auc")
    for col in ("classifier", "policy", "method", *cols):
        table.add_column(col, justify="left" if col in ("classifier", "policy", "method") else "right")
    for row in rows:
        cells = [str(int(row.metrics["n"])), *(_fmt(row.metrics.get(c)) for c in cols[1:])]
        table.add_row(Text(row.classifier), Text(row.policy), Text(row.method), *cells)
    console.print(table)
    for row in rows:
        if row.method == "baseline":
            console.print(f"note: {row.classifier} is a reference row, not a safety classifier")


@safety_app.command("eval-classifier")
def eval_classifier_cmd(
    policy: Annotated[list[str], typer.Option("--policy", "-p", help="Policy name. Repeatable.")],
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="Classifier model. Repeatable.")
    ] = None,
    data: Annotated[Path | None, typer.Option(help="Labelled rows (label 0/1): JSONL/JSON/CSV.")] = None,
    hhh_harmless: Annotated[
        Path | None, typer.Option(help="BIG-bench hhh_alignment/harmless (task.json or its folder).")
    ] = None,
    baseline: Annotated[bool, typer.Option(help="Add the profanity-check reference row (optional).")] = False,
    policy_file: PolicyFileOpt = None,
    method: MethodOpt = "auto",
    threshold: ThresholdOpt = 0.5,
    limit: LimitOpt = None,
    prompt_mode: PromptModeOpt = "auto",
    db: DbOpt = None,
    as_json: JsonOpt = False,
    progress: ProgressOpt = True,
) -> None:
    """Precision, recall, F1, best-F1 threshold, AUPRC and ROC-AUC of models as classifiers, per policy."""
    evaluation = safety_eval_classifier(
        policy,
        model,
        data=data,
        hhh_harmless=hhh_harmless,
        baseline=baseline,
        policy_file=policy_file,
        method=method,
        threshold=threshold,
        limit=limit,
        prompt_mode=prompt_mode,
        show_progress=progress and not as_json,
        store=db,
    )
    if as_json:
        emit_json(evaluation.to_dict())
        return
    _print_metrics(evaluation.rows)


@safety_app.command("refusals")
def refusals_cmd(
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="Model under test. Repeatable.")
    ] = None,
    prompts: Annotated[
        Path | None, typer.Option(help="Rows {prompt, harmful: 0/1} (default: built-in set).")
    ] = None,
    judge: Annotated[
        str | None, typer.Option(help="A judge model that also calls refusal/compliance.")
    ] = None,
    judge_method: MethodOpt = "auto",
    max_tokens: Annotated[int, typer.Option(help="Answer length limit.", min=1)] = 160,
    limit: LimitOpt = None,
    prompt_mode: PromptModeOpt = "auto",
    show_answers: Annotated[bool, typer.Option(help="Print every answer with its verdict.")] = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    progress: ProgressOpt = True,
) -> None:
    """Harmful-compliance and over-refusal rates of models (rules, and a judge model if given)."""
    results = safety_refusals(
        model,
        prompts=prompts,
        judge=judge,
        judge_method=judge_method,
        max_tokens=max_tokens,
        limit=limit,
        prompt_mode=prompt_mode,
        show_progress=progress and not as_json,
        store=db,
    )
    if as_json:
        emit_json([asdict(r) for r in results])
        return
    _print_refusals(results, show_answers=show_answers)


def _print_refusals(results: Sequence[RefusalResult], *, show_answers: bool) -> None:
    table = Table(title="refusals (lower is better for both rates)")
    for col in (
        "model",
        "harmful compliance",
        "over-refusal",
        "judge: harmful compl.",
        "judge: over-refusal",
        "rules/judge agree",
        "run",
    ):
        table.add_column(col, justify="left" if col in ("model", "run") else "right")
    for r in results:
        j = r.judge_rates
        rates = [r.rates.get("harmful_compliance_rate"), r.rates.get("over_refusal_rate")]
        rates += [j.get("harmful_compliance_rate"), j.get("over_refusal_rate"), j.get("rule_judge_agreement")]
        table.add_row(Text(r.model), *(_fmt(v) for v in rates), r.run_id)
        if show_answers:
            _print_answers(r.answers)
    console.print(table)


def _print_answers(answers: tuple[dict[str, Any], ...]) -> None:
    for a in answers:
        kind = "harmful" if a["harmful"] else "benign"
        console.rule(Text(f"{a['id']} · {kind} · {a['rule'] or 'no answer'}"))
        console.print(Text("prompt:   ", style="bold") + Text(a["prompt"]))
        console.print(Text("response: ", style="bold") + Text(a["response"] or ""))


@safety_app.command("report")
def report_cmd(
    run_id: Annotated[
        list[str] | None, typer.Option("--run", help="Only these runs (default: newest).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also write an HTML page here.")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per model: harmful compliance, over-refusal, classifier quality, HHH-harmless, BBQ bias, TruthfulQA."""
    report = safety_report(run_id, out=out, store=db)
    if as_json:
        emit_json(report.to_dict())
        return
    if not report.models:
        console.print("no safety results yet: run `assay safety refusals` or `assay safety eval-classifier`")
    for m in report.models:
        table = Table(title=f"safety · {m.model}")
        for col in ("metric", "value", "better", "from"):
            table.add_column(col, justify="right" if col == "value" else "left")
        for metric in m.metrics:
            table.add_row(Text(metric.label), _fmt(metric.value), metric.better, Text(metric.source))
        console.print(table)
    if out is not None:
        console.print(f"report: {out}")
