"""Transparency index: indicator sets, published editions, assessments with evidence, analyses, charts.

from assay.transparency import load_edition, load_indicator_set, analysis, charts
edition = load_edition("2024"); indicators = load_indicator_set(edition.indicator_set)
analysis.group_means(edition, indicators, "subdomain")
charts.heatmap_spec(edition, indicators)
"""

from assay.transparency import analysis, charts
from assay.transparency.model import (
    DeveloperScores,
    Edition,
    Indicator,
    IndicatorSet,
    TransparencyError,
    load_edition,
    load_indicator_set,
)

__all__ = [
    "DeveloperScores",
    "Edition",
    "Indicator",
    "IndicatorSet",
    "TransparencyError",
    "analysis",
    "charts",
    "load_edition",
    "load_indicator_set",
]
