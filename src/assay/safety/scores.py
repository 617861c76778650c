"""Safety numbers per model from stored results: refusal rates (rule and judge), classifier quality,
and the HHH-harmless, BBQ and TruthfulQA scores of ordinary task-library runs.

Pure: it reads result rows (anything with model, task, sample, scores, extracted, like the store's
ResultRow) and returns numbers; the caller chooses which runs to read.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from assay.core.types import Sample, Score, sample_from_json
from assay.safety.classifier import TASK_PREFIX, safety_classifier_metrics
from assay.safety.refusals import JUDGE_TASK, REFUSAL_TASK, refusal_rates_by_judge, refusal_rates_by_rule
from assay.tasks.library.bigbench_suites import bbq_bias

Better = Literal["lower", "higher"]
Items = Sequence[tuple[Sample, Score]]


class ResultLike(Protocol):
    """Read-only, so frozen records (the store's `ResultRecord`) fit too."""

    @property
    def model(self) -> str: ...
    @property
    def task(self) -> str: ...
    @property
    def sample(self) -> dict[str, Any]: ...
    @property
    def scores(self) -> dict[str, float] | None: ...
    @property
    def extracted(self) -> str | None: ...


@dataclass(frozen=True)
class MetricInfo:
    label: str
    better: Better
    source: str


# Every metric the safety report knows, in report order. Classifier metrics are added per policy.
METRICS: dict[str, MetricInfo] = {
    "harmful_compliance_rate": MetricInfo("harmful compliance (rules)", "lower", REFUSAL_TASK),
    "over_refusal_rate": MetricInfo("over-refusal (rules)", "lower", REFUSAL_TASK),
    "judge_harmful_compliance_rate": MetricInfo("harmful compliance (judge)", "lower", JUDGE_TASK),
    "judge_over_refusal_rate": MetricInfo("over-refusal (judge)", "lower", JUDGE_TASK),
    "rule_judge_agreement": MetricInfo("rules/judge agreement", "higher", JUDGE_TASK),
    "hhh_harmless_acc": MetricInfo("HHH harmless accuracy", "higher", "hhh_alignment"),
    "bbq_acc_ambig": MetricInfo("BBQ accuracy, ambiguous", "higher", "bbq"),
    "bbq_acc_disambig": MetricInfo("BBQ accuracy, disambiguated", "higher", "bbq"),
    "bbq_bias_ambig": MetricInfo("BBQ non-unknown answers, ambiguous (bias)", "lower", "bbq"),
    "truthfulqa_mc1": MetricInfo("TruthfulQA MC1 accuracy", "higher", "truthfulqa"),
    "truthfulqa_mc2": MetricInfo("TruthfulQA MC2", "higher", "truthfulqa"),
}
CLASSIFIER_METRICS: dict[str, tuple[str, Better]] = {
    "auprc": ("AUPRC", "higher"),
    "roc_auc": ("ROC-AUC", "higher"),
    "best_f1": ("best F1", "higher"),
}


def metric_info(key: str) -> MetricInfo:
    """Label and direction of a report metric, including `classifier[POLICY].METRIC` keys."""
    if key in METRICS:
        return METRICS[key]
    if key.startswith("classifier[") and "]." in key:
        policy, _, metric = key[len("classifier[") :].partition("].")
        label, better = CLASSIFIER_METRICS.get(metric, (metric, "higher"))
        return MetricInfo(f"as classifier, {policy}: {label}", better, TASK_PREFIX)
    return MetricInfo(key, "higher", "?")


def _mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _hhh_harmless(items: Items) -> dict[str, float]:
    acc = [s.values["acc"] for smp, s in items if dict(smp.metadata).get("group") == "harmless"
           and "acc" in s.values]  # fmt: skip
    mean = _mean(acc)
    return {} if mean is None else {"hhh_harmless_acc": mean}


def _bbq(items: Items) -> dict[str, float]:
    raw = bbq_bias(items)
    names = {"acc[ambig]": "bbq_acc_ambig", "acc[disambig]": "bbq_acc_disambig",
             "ambiguous_non_unknown_rate": "bbq_bias_ambig"}  # fmt: skip
    return {names[k]: v for k, v in raw.items() if k in names}


def _truthful(metric: str, key: str) -> Any:
    def compute(items: Items) -> dict[str, float]:
        mean = _mean([s.values[metric] for _, s in items if metric in s.values])
        return {} if mean is None else {key: mean}

    return compute


def _judge(items: Items) -> dict[str, float]:
    raw = refusal_rates_by_judge(items)
    out = {f"judge_{k}": v for k, v in raw.items() if k in ("harmful_compliance_rate", "over_refusal_rate")}
    if "rule_judge_agreement" in raw:
        out["rule_judge_agreement"] = raw["rule_judge_agreement"]
    return out


def _rules(items: Items) -> dict[str, float]:
    raw = refusal_rates_by_rule(items)
    return {k: v for k, v in raw.items() if k in ("harmful_compliance_rate", "over_refusal_rate")}


_BY_TASK = {
    REFUSAL_TASK: _rules,
    JUDGE_TASK: _judge,
    "hhh_alignment": _hhh_harmless,
    "bbq": _bbq,
    "bbq_lite_json": _bbq,  # the name the `bbq` task runs under
    "truthfulqa_mc1": _truthful("acc", "truthfulqa_mc1"),
    "truthful_qa_mc": _truthful("acc", "truthfulqa_mc1"),
    "truthfulqa_mc2": _truthful("mc2", "truthfulqa_mc2"),
}


def _classifier(task: str, items: Items) -> dict[str, float]:
    policy = task[len(TASK_PREFIX) + 1 : -1]
    raw = safety_classifier_metrics(items)
    return {f"classifier[{policy}].{k}": raw[k] for k in CLASSIFIER_METRICS if k in raw}


def _owner(row: ResultLike) -> str:
    """The model a row is about: a judge row speaks about the model that answered."""
    if row.task == JUDGE_TASK:
        answered_by = dict((k, v) for k, v in row.sample.get("metadata", ())).get("answered_by")
        return str(answered_by or row.model)
    return row.model


def safety_metrics(rows: Iterable[ResultLike]) -> dict[str, dict[str, float]]:
    """model -> {metric key: value} for every safety-relevant task found among the rows."""
    groups: dict[tuple[str, str], list[tuple[Sample, Score]]] = defaultdict(list)
    for row in rows:
        relevant = row.task in _BY_TASK or row.task.startswith(f"{TASK_PREFIX}[")
        if relevant and row.scores is not None:
            sample = sample_from_json(row.sample)
            groups[(_owner(row), row.task)].append(
                (sample, Score(values=row.scores, extracted=row.extracted))
            )
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for (model, task), items in sorted(groups.items()):
        compute = _BY_TASK.get(task)
        found = compute(items) if compute else _classifier(task, items)
        out[model].update({k: v for k, v in found.items() if not math.isnan(v)})
    return {m: v for m, v in out.items() if v}
