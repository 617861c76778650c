"""Pure scoring functions and aggregates."""

from assay.metrics.aggregate import MetricSummary, summarize

__all__ = ["MetricSummary", "summarize"]
