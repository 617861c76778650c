"""Safety runs: the safety tasks run through the engine (batched, cached, retried, stored like every
run), then read back from the store and summarised. `assay.api` (`assay.safety_classify`, ...) calls these.

This module is the one place in `assay.safety` that imports the engine and the store; the rest of
the package stays pure (core, tasks, metrics).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from assay.core.errors import ModelUnsupportedError
from assay.core.spec import RunSpec, TaskConfig
from assay.engine.run import evaluate
from assay.metrics.classification import classifier_summary
from assay.safety.classifier import TASK_PREFIX
from assay.safety.refusals import JUDGE_TASK, REFUSAL_TASK
from assay.safety.report import SafetyReport, build_report
from assay.safety.scores import safety_metrics

if TYPE_CHECKING:
    import pandas as pd

    from assay.core.results import ResultRecord
    from assay.store import Store


@dataclass(frozen=True)
class ClassifiedText:
    id: str
    kind: str  # prompt | response
    label: int | None
    p_violation: float | None  # None when the request failed
    verdict: str | None  # Yes | No | unparsed
    error: str | None = None


@dataclass(frozen=True)
class ClassificationResult:
    run_id: str
    model: str
    policy: str
    method: str
    items: tuple[ClassifiedText, ...]
    metrics: dict[str, float] | None  # when every answered row has a label
    errors: int

    def to_frame(self) -> pd.DataFrame:
        """One row per text: id, kind, label, p_violation, verdict, error."""
        import pandas as pd

        return pd.DataFrame([asdict(i) for i in self.items], columns=[f.name for f in fields(ClassifiedText)])


@dataclass(frozen=True)
class RefusalResult:
    run_id: str
    model: str
    rates: dict[str, float]
    answers: tuple[dict[str, Any], ...]
    judge_run_id: str | None = None
    judge: str | None = None
    errors: int = 0
    judge_rates: dict[str, float] = field(default_factory=dict)


def _run(store: Store, model: str, task: tuple[str, dict[str, Any]], **spec: Any) -> str:
    show = bool(spec.pop("show_progress", False))
    run = RunSpec(models=(model,), tasks=(TaskConfig(*task),), **spec)
    return evaluate(run, store, show_progress=show).run_id


def _run_yes_no(store: Store, model: str, name: str, options: dict[str, Any], method: str,
                **spec: Any) -> tuple[str, str]:  # fmt: skip
    """Run a Yes/No task by log-likelihood; with method "auto", fall back to a parsed text verdict
    when the backend cannot give log-likelihoods."""
    first = "loglikelihood" if method == "auto" else method
    try:
        return _run(store, model, (name, {**options, "method": first}), **spec), first
    except ModelUnsupportedError:
        if method != "auto":
            raise
        return _run(store, model, (name, {**options, "method": "verdict"}), **spec), "verdict"


def classify(
    store: Store,
    model: str,
    policy: str,
    *,
    path: str | None = None,
    rows: list[dict[str, Any]] | None = None,
    policy_file: str | None = None,
    method: str = "auto",
    threshold: float = 0.5,
    **spec: Any,
) -> ClassificationResult:
    """`model` judges every row against `policy`; metrics too when the rows are labelled.

    `spec` passes through to the run (limit, seed, prompt_mode, model_args, show_progress, ...)."""
    from assay.safety.classifier import safety_classify

    options: dict[str, Any] = {"policy": policy, "policy_file": policy_file}
    options.update({"path": path} if rows is None else {"rows": rows})
    safety_classify(**options)  # check policy and data before any model is loaded
    run_id, used = _run_yes_no(store, model, TASK_PREFIX, options, method, **spec)
    task = f"{TASK_PREFIX}[{policy}]"
    items = tuple(_classified(r) for r in store.results(run_id) if r.task == task)
    answered = [i for i in items if i.p_violation is not None]
    metrics = None
    if answered and all(i.label is not None for i in answered):
        labels = [int(i.label) for i in answered if i.label is not None]
        metrics = classifier_summary(labels, [float(i.p_violation or 0.0) for i in answered], threshold)
    errors = len(items) - len(answered)
    return ClassificationResult(run_id, model, policy, used, items, metrics, errors)


def _meta(row: ResultRecord) -> dict[str, Any]:
    return {str(k): v for k, v in row.sample.get("metadata", ())}


def _classified(row: ResultRecord) -> ClassifiedText:
    meta = _meta(row)
    p = row.scores.get("p_violation") if row.scores else None
    label = meta.get("label")
    kind = str(meta.get("kind", "prompt"))
    return ClassifiedText(
        row.sample_id, kind, None if label is None else int(label), p, row.extracted, row.error
    )


def evaluate_refusals(
    store: Store,
    model: str,
    *,
    prompts: str | None = None,
    judge: str | None = None,
    judge_method: str = "auto",
    max_tokens: int = 160,
    **spec: Any,
) -> RefusalResult:
    """Harmful and benign prompts to `model`; refusals by rules, and by `judge` when given."""
    from assay.safety.refusals import load_prompts, refusal_rates_by_judge, refusal_rates_by_rule
    from assay.safety.scores import Items

    load_prompts(prompts)  # fail on bad data before a model is loaded
    options = {"path": prompts, "max_tokens": max_tokens}
    run_id = _run(store, model, (REFUSAL_TASK, options), **spec)
    rows = [r for r in store.results(run_id) if r.task == REFUSAL_TASK]
    answers = tuple(_answer(r) for r in rows)
    rates = refusal_rates_by_rule(_items(rows))
    errors = sum(1 for r in rows if r.response is None)
    if judge is None:
        return RefusalResult(run_id, model, rates, answers, errors=errors)
    judge_rows = [a for a in answers if a["response"] is not None]
    spec.pop("limit", None)  # the judge reads every answer the model gave
    judge_run, _ = _run_yes_no(store, judge, JUDGE_TASK, {"rows": judge_rows}, judge_method, **spec)
    judged: Items = _items([r for r in store.results(judge_run) if r.task == JUDGE_TASK])
    return RefusalResult(run_id, model, rates, answers, judge_run, judge, errors,
                         refusal_rates_by_judge(judged))  # fmt: skip


def _answer(row: ResultRecord) -> dict[str, Any]:
    meta = _meta(row)
    text = row.response.get("text") if row.response else None
    refused = row.scores.get("refused") if row.scores else None
    return {"id": row.sample_id, "prompt": row.sample["input"], "response": text,
            "harmful": int(meta["harmful"]), "rule_refused": None if refused is None else bool(refused),
            "rule": row.extracted, "answered_by": row.model}  # fmt: skip


def _items(rows: Sequence[ResultRecord]) -> list[Any]:
    from assay.core.types import Score, sample_from_json

    return [(sample_from_json(r.sample), Score(values=r.scores, extracted=r.extracted))
            for r in rows if r.scores is not None]  # fmt: skip


def collect_results(
    store: Store, run_ids: Sequence[str] | None = None, *, scan: int = 200
) -> list[ResultRecord]:
    """Result rows for the report: the given runs, else for each (model, task) the newest run with it."""
    runs = [store.get_run(r) for r in run_ids] if run_ids else store.list_runs(limit=scan)
    seen: set[tuple[str, str, str]] = set()
    out: list[ResultRecord] = []
    for run in runs:  # newest first
        rows = store.results(run.id)
        fresh = {_result_key(r) for r in rows if r.scores is not None} - seen
        out += [r for r in rows if _result_key(r) in fresh]
        seen |= fresh
    return out


def _result_key(row: ResultRecord) -> tuple[str, str, str]:
    """(model, task, model judged): a judge's verdicts on two models are two results."""
    return row.model, row.task, str(_meta(row).get("answered_by", ""))


def safety_report(store: Store, run_ids: Sequence[str] | None = None) -> SafetyReport:
    """Refusal rates, classifier quality, HHH-harmless, BBQ and TruthfulQA per model, from the store."""
    return build_report(safety_metrics(collect_results(store, run_ids)))
