"""Safety through the API: harm policies, a model as a safety classifier (on texts, or evaluated over
labelled rows), refusal rates, and the safety report over the store's runs.

    import assay
    assay.safety_policies()                                        # ShieldGemma and Llama Guard 1-4
    found = assay.safety_classify("smollm2-135m", "shieldgemma/dangerous_content",
                                  texts=["How do I pick a lock?"], store="safety.db")
    found.to_frame()                                               # one row per text: P(violation), verdict
    assay.safety_eval_classifier(["llama_guard_3"], data="labelled.jsonl", store="safety.db").to_frame()
    assay.safety_refusals(["smollm2-135m"], store="safety.db")     # harmful compliance, over-refusal
    assay.safety_report(store="safety.db").to_frame()              # one row per model, one column per metric

Model calls run through the engine (cached, retried, stored like every run). Bad options fail before
any model is loaded; errors name an option as the command line spells it (`--threshold`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.api.stores import StoreLike, using_store
from assay.core.errors import AssayError, ConfigError
from assay.io import write_text_atomic
from assay.models import parse_model
from assay.safety.baseline import INSTALL_HINT, PROFANITY_NAME, profanity_available, profanity_baseline
from assay.safety.datasets import (
    SafetyItem,
    check_items,
    hhh_harmless_items,
    item_from_row,
    items_from_texts,
    load_items,
)
from assay.safety.policies import Policy, get_policy, load_policy_file
from assay.safety.policies import safety_policies as policy_registry
from assay.safety.report import SafetyReport, render_html_page
from assay.safety.runs import ClassificationResult, RefusalResult, classify, evaluate_refusals
from assay.safety.runs import safety_report as build_safety_report

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_MODEL = "smollm2-135m"
METHODS = ("auto", "loglikelihood", "verdict")
PROMPT_MODES = ("auto", "chat", "completion")
PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class ClassifierRow:
    """One classifier (a model, or the profanity reference) on one policy."""

    classifier: str
    policy: str
    method: str  # loglikelihood | verdict | baseline
    metrics: dict[str, float]  # n, precision, recall, f1, best_f1, best_f1_threshold, auprc, roc_auc


@dataclass(frozen=True)
class ClassifierEvaluation:
    runs: tuple[str, ...]
    rows: tuple[ClassifierRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """What `assay safety eval-classifier --json` prints."""
        rows = [
            {"classifier": r.classifier, "policy": r.policy, "method": r.method, **r.metrics}
            for r in self.rows
        ]
        return {"runs": list(self.runs), "rows": rows}

    def to_frame(self) -> pd.DataFrame:
        """One row per classifier and policy, one column per metric."""
        import pandas as pd

        return pd.DataFrame(self.to_dict()["rows"])


def safety_policies(policy_file: PathLike | None = None) -> list[Policy]:
    """The built-in harm policies (ShieldGemma, Llama Guard 1-4), then those of a policy file."""
    found = [policy_registry.get(name) for name in policy_registry.names()]
    return found + (load_policy_file(policy_file) if policy_file else [])


def safety_policy(name: str, policy_file: PathLike | None = None) -> Policy:
    """One policy by name: from the policy file first, then the built-ins."""
    return get_policy(name, load_policy_file(policy_file) if policy_file else [])


def safety_classify(
    model: str,
    policy: str,
    *,
    texts: Sequence[str] | None = None,
    data: PathLike | None = None,
    policy_file: PathLike | None = None,
    method: str = "auto",
    threshold: float = 0.5,
    limit: int | None = None,
    prompt_mode: str = "auto",
    show_progress: bool = False,
    store: StoreLike = None,
) -> ClassificationResult:
    """`model` judges each text (`texts`, or the rows of `data`: text, response?, label?) against
    `policy`: P(violation) per text, and classifier metrics when every row is labelled.
    `method`: auto (log-likelihood, else a parsed verdict), loglikelihood or verdict."""
    _check_options(method, threshold, prompt_mode)
    options = _data_options(data, texts, None)
    with using_store(store) as opened:
        return classify(
            opened,
            model,
            policy,
            **_classify_options(policy_file, method, threshold),
            **options,
            **_run_options(limit, prompt_mode, show_progress),
        )


def safety_eval_classifier(
    policies: Sequence[str],
    models: Sequence[str] | None = None,
    *,
    data: PathLike | None = None,
    hhh_harmless: PathLike | None = None,
    baseline: bool = False,
    policy_file: PathLike | None = None,
    method: str = "auto",
    threshold: float = 0.5,
    limit: int | None = None,
    prompt_mode: str = "auto",
    show_progress: bool = False,
    store: StoreLike = None,
) -> ClassifierEvaluation:
    """Precision, recall, F1, best-F1 threshold, AUPRC and ROC-AUC of each model (default
    smollm2-135m) as a classifier on each policy, over labelled rows (`data`, or BIG-bench
    hhh_alignment/harmless: its task.json or folder). `baseline` adds the profanity-check reference row."""
    _check_options(method, threshold, prompt_mode)
    options = _data_options(data, None, hhh_harmless)
    labelled = _labelled_items(options)
    for name in models or []:
        _check_model(name, "--model")
    if baseline and not profanity_available():  # say so before the models run, not after
        raise AssayError(f"--baseline: the profanity baseline is not installed: {INSTALL_HINT}")
    rows: list[ClassifierRow] = []
    runs: list[str] = []
    with using_store(store) as opened:
        for name in models or [DEFAULT_MODEL]:
            for policy in policies:
                found = classify(
                    opened,
                    name,
                    policy,
                    **_classify_options(policy_file, method, threshold),
                    **options,
                    **_run_options(limit, prompt_mode, show_progress),
                )
                runs.append(found.run_id)
                rows.append(ClassifierRow(name, policy, found.method, found.metrics or {"n": 0.0}))
    if baseline:
        metrics = profanity_baseline(labelled[:limit], threshold)
        rows.append(ClassifierRow(PROFANITY_NAME, "(offensive language)", "baseline", metrics))
    return ClassifierEvaluation(tuple(runs), tuple(rows))


def safety_refusals(
    models: Sequence[str] | None = None,
    *,
    prompts: PathLike | None = None,
    judge: str | None = None,
    judge_method: str = "auto",
    max_tokens: int = 160,
    limit: int | None = None,
    prompt_mode: str = "auto",
    show_progress: bool = False,
    store: StoreLike = None,
) -> list[RefusalResult]:
    """Harmful-compliance and over-refusal rates of each model (default smollm2-135m) on `prompts`
    (rows {prompt, harmful: 0/1}; default: the built-in set), by rules, and by `judge` when given."""
    _check_choice(judge_method, METHODS, "--judge-method")
    _check_choice(prompt_mode, PROMPT_MODES, "--prompt-mode")
    for name in models or []:
        _check_model(name, "--model")
    if judge is not None:
        _check_model(judge, "--judge")  # before the models under test are asked, not after
    with using_store(store) as opened:
        return [
            evaluate_refusals(
                opened,
                name,
                prompts=str(prompts) if prompts else None,
                judge=judge,
                judge_method=judge_method,
                max_tokens=max_tokens,
                **_run_options(limit, prompt_mode, show_progress),
            )
            for name in models or [DEFAULT_MODEL]
        ]


def safety_report(
    runs: Sequence[str] | None = None, *, out: PathLike | None = None, store: StoreLike = None
) -> SafetyReport:
    """Per model: harmful compliance, over-refusal, classifier quality, HHH-harmless, BBQ bias and
    TruthfulQA, from the given runs (default: the newest result of each model and task). With `out`,
    also writes a standalone HTML page there. `.to_frame()` is one row per model."""
    with using_store(store) as opened:
        report = build_safety_report(opened, list(runs) if runs else None)
    if out is not None:
        write_text_atomic(Path(out), render_html_page(report))
    return report


# -- checks and options shared by the commands -------------------------------------------------
def _check_choice(value: str, allowed: tuple[str, ...], option: str) -> None:
    if value not in allowed:
        raise ConfigError(f"{option} must be one of {', '.join(allowed)}, not {value!r}")


def _check_options(method: str, threshold: float, prompt_mode: str) -> None:
    _check_choice(method, METHODS, "--method")
    if not (math.isfinite(threshold) and 0.0 <= threshold <= 1.0):
        raise ConfigError(f"--threshold is a probability: give a number from 0 to 1, not {threshold:g}")
    _check_choice(prompt_mode, PROMPT_MODES, "--prompt-mode")


def _check_model(name: str, option: str) -> None:
    """An unknown model name fails before any other model is loaded and asked."""
    try:
        parse_model(name)
    except AssayError as exc:
        raise ConfigError(f"{option}: {exc}") from None


def _classify_options(policy_file: PathLike | None, method: str, threshold: float) -> dict[str, Any]:
    return {
        "policy_file": str(policy_file) if policy_file else None,
        "method": method,
        "threshold": threshold,
    }


def _run_options(limit: int | None, prompt_mode: str, show_progress: bool) -> dict[str, Any]:
    return {"limit": limit, "prompt_mode": prompt_mode, "show_progress": show_progress}


def _data_options(
    data: PathLike | None, texts: Sequence[str] | None, hhh_harmless: PathLike | None
) -> dict[str, Any]:
    """Exactly one source of rows -> the classifier task's options (a path, or the rows inline)."""
    given = [x for x in (data, texts, hhh_harmless) if x]
    if len(given) != 1:
        raise ConfigError("give exactly one of --data FILE, --text TEXT or --hhh-harmless PATH")
    if data is not None:
        return {"path": str(data)}
    if texts:
        items = items_from_texts(list(texts))
    else:
        assert hhh_harmless is not None
        folder = Path(hhh_harmless)
        items = hhh_harmless_items(folder / "task.json" if folder.is_dir() else folder)
    return {
        "rows": [{k: v for k, v in asdict(i).items() if v is not None} | {"text": i.prompt} for i in items]
    }


def _labelled_items(options: dict[str, Any]) -> list[SafetyItem]:
    """The rows to evaluate on, each with a 0/1 label (else a one-line error naming the rows)."""
    if "path" in options:
        return load_items(options["path"], need_labels=True)
    items = [item_from_row(r, f"row {i}", i) for i, r in enumerate(options["rows"])]
    return check_items(items, "rows", need_labels=True)
