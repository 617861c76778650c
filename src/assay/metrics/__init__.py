"""Pure scoring functions and aggregates. Importing this package registers the run-level aggregators."""

from assay.metrics import agentic, efficiency, groups, perturbation, reducers, run_level
from assay.metrics.aggregate import MetricSummary, bootstrap_stderr, summarize
from assay.metrics.run_level import run_level_metrics

__all__ = [
    "MetricSummary",
    "agentic",
    "bootstrap_stderr",
    "efficiency",
    "groups",
    "perturbation",
    "reducers",
    "run_level",
    "run_level_metrics",
    "summarize",
]
