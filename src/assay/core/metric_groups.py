"""HELM's metric groups: every metric belongs to one (accuracy, calibration, robustness, fairness,
bias, toxicity, efficiency) and says which way is better.

Declared where a metric is made (`declare_metric("ece", "calibration", higher_is_better=False)`), by
exact name or by a pattern with one `*` (`*_robustness`, `pass@*`). Breakdowns written with brackets
(`acc[typos]`, `acc[ambig]`) belong to no group unless declared by their full name: they explain a
score, they are not one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assay.core.errors import ConfigError
from assay.core.registry import Registry

Group = Literal["accuracy", "calibration", "robustness", "fairness", "bias", "toxicity", "efficiency"]
GROUPS: tuple[Group, ...] = (
    "accuracy",
    "calibration",
    "robustness",
    "fairness",
    "bias",
    "toxicity",
    "efficiency",
)


@dataclass(frozen=True)
class MetricInfo:
    name: str  # exact, or a pattern with one "*"
    group: Group
    higher_is_better: bool | None  # None: shown, but no direction, so never ranked (token counts)


metric_info: Registry[MetricInfo] = Registry("metric group declaration")


def declare_metric(name: str, group: Group, *, higher_is_better: bool | None = True) -> MetricInfo:
    if group not in GROUPS:
        raise ValueError(f"metric {name}: group must be one of {', '.join(GROUPS)}, not {group!r}")
    info = MetricInfo(name, group, higher_is_better)
    metric_info.add(name, info, replace=True)
    return info


def info_of(metric: str) -> MetricInfo | None:
    """The declaration a metric falls under: its exact name, else the longest matching pattern."""
    if metric in metric_info:
        return metric_info.get(metric)
    if "[" in metric:
        return None
    patterns = sorted((n for n in metric_info.names() if "*" in n), key=len, reverse=True)
    for pattern in patterns:
        head, _, tail = pattern.partition("*")
        if metric.startswith(head) and metric.endswith(tail) and len(metric) > len(head) + len(tail):
            return metric_info.get(pattern)
    return None


def check_group(name: str | None) -> Group | None:
    if name is None:
        return None
    if name not in GROUPS:
        raise ConfigError(f"unknown metric group {name!r} (known: {', '.join(GROUPS)})")
    return name  # type: ignore[return-value]
