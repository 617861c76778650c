"""The groups and directions of assay's built-in metrics (HELM's taxonomy, Liang et al. 2022, sec. 4).

Metrics made elsewhere declare themselves where they are made (bias in the BBQ aggregator, toxicity
and efficiency in their modules); these are the per-sample metrics of the built-in tasks.
"""

from __future__ import annotations

from assay.core.metric_groups import declare_metric

for _name in ("acc", "acc_norm", "exact_match", "exact_match_strict", "passed", "mc2", "f1", "circular_acc"):
    declare_metric(_name, "accuracy")
declare_metric("pass@*", "accuracy")
declare_metric("*_macro", "accuracy")
declare_metric("ece", "calibration", higher_is_better=False)
declare_metric("brier", "calibration", higher_is_better=False)
declare_metric("*_robustness", "robustness")
declare_metric("*_fairness", "fairness")
