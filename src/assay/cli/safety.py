"""`assay safety ...`: policies, a model as a safety classifier, classifier evaluation, refusal rates,
and the safety report. Thin wrappers over `assay.safety.api`."""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from assay.cli import output
from assay.core.errors import AssayError, ConfigError

safety_app = typer.Typer(no_args_is_help=True, help="Harm classification, refusals, bias and truthfulness.")
console = Console()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="SQLite file or postgresql:// URL (default: $ASSAY_DB or the user data dir)."),
]
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
ProgressOpt = Annotated[bool, typer.Option(help="Show progress bars.")]
ThresholdOpt = Annotated[float, typer.Option(help="P(violation) at or above this is a violation.")]


def _check_choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        raise ConfigError(f"{option} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _check_threshold(threshold: float) -> None:
    if not (math.isfinite(threshold) and 0.0 <= threshold <= 1.0):
        raise ConfigError(f"--threshold is a probability: give a number from 0 to 1, not {threshold:g}")


def _check_model(name: str, option: str) -> None:
    """An unknown model name fails before any other model is loaded and asked."""
    from assay.models import parse_model

    try:
        parse_model(name)
    except AssayError as exc:
        raise ConfigError(f"{option}: {exc}") from None


def _spec(limit: int | None, prompt_mode: str, progress: bool, as_json: bool) -> dict[str, Any]:
    _check_choice(prompt_mode, ("auto", "chat", "completion"), "--prompt-mode")
    return {"limit": limit, "prompt_mode": prompt_mode, "show_progress": progress and not as_json}


def _fmt(value: float | None) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def _open_store(db: str | None) -> Any:
    from assay.store import Store

    return Store.open(db)


@safety_app.command("policies")
def list_policies(policy_file: PolicyFileOpt = None, as_json: JsonOpt = False) -> None:
    """Built-in harm policies (ShieldGemma, Llama Guard 1-4) and those in a policy file."""
    from assay.safety.policies import load_policy_file, safety_policies

    found = [safety_policies.get(n) for n in safety_policies.names()]
    found += load_policy_file(policy_file) if policy_file else []
    if as_json:
        output.emit_json([asdict(p) for p in found])
        return
    table = Table(title="safety policies")
    for col in ("name", "title", "source", "categories"):
        table.add_column(col)
    for p in found:
        table.add_row(Text(p.name), Text(p.title), Text(p.source), str(len(p.categories) or "-"))
    console.print(table)


def _data_option(data: Path | None, text: list[str] | None, hhh_harmless: Path | None) -> dict[str, Any]:
    """Exactly one source of rows -> task options (a path, or rows inline)."""
    from assay.safety.datasets import hhh_harmless_items, items_from_texts

    given = [x for x in (data, text, hhh_harmless) if x]
    if len(given) != 1:
        raise ConfigError("give exactly one of --data FILE, --text TEXT or --hhh-harmless PATH")
    if data is not None:
        return {"path": str(data)}
    if text:
        items = items_from_texts(list(text))
    else:
        assert hhh_harmless is not None
        target = hhh_harmless / "task.json" if hhh_harmless.is_dir() else hhh_harmless
        items = hhh_harmless_items(target)
    return {"rows": [{k: v for k, v in asdict(i).items() if v is not None} | {"text": i.prompt}
                     for i in items]}  # fmt: skip


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
    from assay.safety.api import classify

    _check_choice(method, ("auto", "loglikelihood", "verdict"), "--method")
    _check_threshold(threshold)
    options = _data_option(data, text, None)
    with _open_store(db) as store:
        result = classify(store, model, policy, policy_file=str(policy_file) if policy_file else None,
                          method=method, threshold=threshold, **options,
                          **_spec(limit, prompt_mode, progress, as_json))  # fmt: skip
    if as_json:
        output.emit_json(asdict(result))
        return
    table = Table(title=f"{result.model} as classifier · {result.policy} · run {result.run_id}")
    for col in ("id", "kind", "label", "P(violation)", "verdict"):
        table.add_column(col, justify="right" if col == "P(violation)" else "left")
    for item in result.items:
        label = "-" if item.label is None else str(item.label)
        verdict = item.verdict or (f"error: {item.error}" if item.error else "-")
        table.add_row(Text(item.id), item.kind, label, _fmt(item.p_violation), Text(verdict))
    console.print(table)
    if result.metrics:
        _print_metrics([(result.model, result.policy, result.method, result.metrics)])


def _print_metrics(rows: list[tuple[str, str, str, dict[str, float]]]) -> None:
    table = Table(title="classifier metrics")
    cols = ("n", "precision", "recall", "f1", "best_f1", "best_f1_threshold", "auprc", "roc_auc")
    for col in ("classifier", "policy", "method", *cols):
        table.add_column(col, justify="left" if col in ("classifier", "policy", "method") else "right")
    for name, policy, method, m in rows:
        cells = [str(int(m["n"])), *(_fmt(m.get(c)) for c in cols[1:])]
        table.add_row(Text(name), Text(policy), Text(method), *cells)
    console.print(table)
    if any(method == "baseline" for *_, method, _ in rows):
        from assay.safety.baseline import PROFANITY_NAME

        console.print(f"note: {PROFANITY_NAME} is a reference row, not a safety classifier")


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
    from assay.safety.api import classify

    _check_choice(method, ("auto", "loglikelihood", "verdict"), "--method")
    _check_threshold(threshold)
    options = _data_option(data, None, hhh_harmless)
    _check_labelled(options)
    for name in model or []:
        _check_model(name, "--model")
    if baseline:
        from assay.safety.baseline import INSTALL_HINT, profanity_available

        if not profanity_available():  # say so before the models run, not after
            raise AssayError(f"--baseline: the profanity baseline is not installed: {INSTALL_HINT}")
    rows: list[tuple[str, str, str, dict[str, float]]] = []
    runs: list[str] = []
    with _open_store(db) as store:
        for name in model or ["smollm2-135m"]:
            for pol in policy:
                res = classify(store, name, pol, policy_file=str(policy_file) if policy_file else None,
                               method=method, threshold=threshold, **options,
                               **_spec(limit, prompt_mode, progress, as_json))  # fmt: skip
                runs.append(res.run_id)
                rows.append((name, pol, res.method, res.metrics or {"n": 0.0}))
    if baseline:
        rows.append(_baseline_row(options, threshold, limit))
    if as_json:
        output.emit_json({"runs": runs, "rows": [
            {"classifier": n, "policy": p, "method": m, **v} for n, p, m, v in rows]})  # fmt: skip
        return
    _print_metrics(rows)


def _check_labelled(options: dict[str, Any]) -> None:
    from assay.safety.datasets import check_items, item_from_row, load_items

    if "path" in options:
        load_items(options["path"], need_labels=True)
    else:
        rows = options["rows"]
        check_items([item_from_row(r, f"row {i}", i) for i, r in enumerate(rows)], "rows", need_labels=True)


def _baseline_row(options: dict[str, Any], threshold: float, limit: int | None) -> tuple[str, str, str, Any]:
    from assay.safety.baseline import PROFANITY_NAME, profanity_baseline
    from assay.safety.datasets import item_from_row, load_items

    if "path" in options:
        items = load_items(options["path"], need_labels=True)
    else:
        items = [item_from_row(r, f"row {i}", i) for i, r in enumerate(options["rows"])]
    return PROFANITY_NAME, "(offensive language)", "baseline", profanity_baseline(items[:limit], threshold)


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
    from assay.safety.api import evaluate_refusals

    _check_choice(judge_method, ("auto", "loglikelihood", "verdict"), "--judge-method")
    for name in model or []:
        _check_model(name, "--model")
    if judge is not None:
        _check_model(judge, "--judge")  # before the models under test are asked, not after
    results = []
    with _open_store(db) as store:
        for name in model or ["smollm2-135m"]:
            found = evaluate_refusals(
                store,
                name,
                prompts=str(prompts) if prompts else None,
                judge=judge,
                judge_method=judge_method,
                max_tokens=max_tokens,
                **_spec(limit, prompt_mode, progress, as_json),
            )
            results.append(found)
    if as_json:
        output.emit_json([asdict(r) for r in results])
        return
    _print_refusals(results, show_answers=show_answers)


def _print_refusals(results: list[Any], *, show_answers: bool) -> None:
    table = Table(title="refusals (lower is better for both rates)")
    for col in ("model", "harmful compliance", "over-refusal", "judge: harmful compl.", "judge: over-refusal",
                "rules/judge agree", "run"):  # fmt: skip
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
    from assay.safety.api import safety_report
    from assay.safety.report import render_html_page

    with _open_store(db) as store:
        report = safety_report(store, run_id)
    if out is not None:
        try:
            out.write_text(render_html_page(report), encoding="utf-8")
        except OSError as exc:
            raise AssayError(f"cannot write {out}: {exc.strerror}") from None
    if as_json:
        output.emit_json(report.to_dict())
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
