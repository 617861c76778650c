"""Trends: the model catalogue, state of the art over time, saturation, human baselines, the
open-vs-closed gap, scaling, and training emissions, from data a user can update and from assay's
own runs.

from assay.trends import load_trends, sota
data = load_trends()                      # shipped figures from Epoch AI (CC BY)
sota.sota_by_year(data.results, "MMLU")   # best score to date per year, with yearly gains
"""

from assay.trends import emissions, gap, sota
from assay.trends.catalogue import Catalogue
from assay.trends.dataset import TrendsData, load_default, load_epoch_dir, load_trends
from assay.trends.records import (
    BenchmarkResult,
    HumanBaseline,
    ModelEntry,
    RowProblem,
    TrendsError,
)

__all__ = [
    "BenchmarkResult",
    "Catalogue",
    "HumanBaseline",
    "ModelEntry",
    "RowProblem",
    "TrendsData",
    "TrendsError",
    "emissions",
    "gap",
    "load_default",
    "load_epoch_dir",
    "load_trends",
    "sota",
]
