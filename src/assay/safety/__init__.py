"""Safety evaluation: harm policies as data, any model as a safety classifier, classifier metrics,
refusal and over-refusal rates, bias and truthfulness from the task library, and a safety report.

Importing this package registers its tasks (`safety_classify`, `safety_refusals`,
`safety_refusal_judge`) and run-level aggregators. Runs through the engine are in `assay.safety.runs`;
the public entry points are `assay.safety_classify`, `assay.safety_refusals`, `assay.safety_report`, ...
"""

from assay.safety.classifier import SafetyClassifierTask, classifier_prompt, p_yes, parse_verdict
from assay.safety.datasets import SafetyItem, hhh_harmless_items, items_from_texts, load_items
from assay.safety.policies import HarmCategory, Policy, get_policy, load_policy_file, safety_policies
from assay.safety.refusal import REFUSAL_RULES, RefusalVerdict, detect_refusal
from assay.safety.refusals import RefusalJudgeTask, RefusalTask, load_prompts
from assay.safety.report import ModelSafety, SafetyMetric, SafetyReport, build_report, render_html_section
from assay.safety.scores import safety_metrics

__all__ = [
    "REFUSAL_RULES",
    "HarmCategory",
    "ModelSafety",
    "Policy",
    "RefusalJudgeTask",
    "RefusalTask",
    "RefusalVerdict",
    "SafetyClassifierTask",
    "SafetyItem",
    "SafetyMetric",
    "SafetyReport",
    "build_report",
    "classifier_prompt",
    "detect_refusal",
    "get_policy",
    "hhh_harmless_items",
    "items_from_texts",
    "load_items",
    "load_policy_file",
    "load_prompts",
    "p_yes",
    "parse_verdict",
    "render_html_section",
    "safety_metrics",
    "safety_policies",
]
