"""Min-K% per task against fresh reference text: one engine run, then distributions side by side.

The comparison is an AUC: the chance that a random item of the task scores higher (looks more
"seen") than a random reference text. 0.5 means no difference. Texts differ in style and length as
well as in membership, so even a clear difference is a signal to investigate, not proof.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assay.contamination.mink import REFERENCE
from assay.core.spec import RunSpec, TaskConfig
from assay.engine.run import evaluate
from assay.store import Store

CAVEAT = (
    "Min-K% is a membership signal, not proof: style, length and topic shift the scores too, and "
    "the reference set is small. Treat a task that scores above its reference as a lead to check "
    "against a corpus scan, never as a verdict."
)
METRICS = ("min_k", "min_k_plus")


@dataclass(frozen=True)
class Distribution:
    n: int
    mean: float
    q25: float
    median: float
    q75: float


@dataclass(frozen=True)
class TaskMembership:
    task: str  # a task name, or "reference"
    metric: str  # min_k | min_k_plus
    scores: Distribution
    auc_vs_reference: float  # P(item > reference text); 0.5 = indistinguishable


@dataclass(frozen=True)
class MembershipReport:
    run_id: str
    model: str
    k: float
    rows: tuple[TaskMembership, ...]
    caveat: str = CAVEAT


def distribution(values: Sequence[float]) -> Distribution:
    if not values:
        return Distribution(0, math.nan, math.nan, math.nan, math.nan)
    q25, median, q75 = np.quantile(np.asarray(values, dtype=np.float64), [0.25, 0.5, 0.75])
    return Distribution(len(values), math.fsum(values) / len(values), float(q25), float(median), float(q75))


def auc(higher: Sequence[float], lower: Sequence[float]) -> float:
    """P(x > y) + P(x = y) / 2 for x from `higher`, y from `lower` (Mann-Whitney U / (n m))."""
    if not higher or not lower:
        return math.nan
    x, y = np.sort(np.asarray(higher)), np.sort(np.asarray(lower))
    below = np.searchsorted(y, x, side="left")
    not_above = np.searchsorted(y, x, side="right")
    return float((below + (not_above - below) / 2).sum() / (len(x) * len(y)))


def run_min_k(
    store: Store,
    model: str,
    tasks: Sequence[str],
    *,
    reference: str | None = None,
    k: float = 0.2,
    limit: int | None = None,
    **spec: Any,
) -> MembershipReport:
    """Score the tasks' items and the reference texts with `model` (one run) and compare them."""
    show = bool(spec.pop("show_progress", False))
    # The limit is per task, so the reference set is always scored whole.
    configs = [TaskConfig("min_k", {"source": t, "k": k, "limit": limit}) for t in tasks]
    configs.append(TaskConfig("min_k", {"source": REFERENCE, "texts": reference, "k": k}))
    run = RunSpec(models=(model,), tasks=tuple(configs), prompt_mode="completion", **spec)
    result = evaluate(run, store, show_progress=show)
    return membership_report(store, result.run_id, model, k)


def membership_report(store: Store, run_id: str, model: str, k: float) -> MembershipReport:
    """The distributions of a stored `min_k` run, each task against the reference texts."""
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in store.results(run_id):
        label = row.task.removeprefix("min_k:")
        for metric in METRICS:
            value = (row.scores or {}).get(metric)
            if value is not None and math.isfinite(value):
                values[(label, metric)].append(value)
    rows = []
    labels = sorted({label for label, _ in values}, key=lambda t: (t == REFERENCE, t))
    for label in labels:
        for metric in METRICS:
            mine = values.get((label, metric), [])
            if mine:
                ref = values.get((REFERENCE, metric), [])
                rows.append(TaskMembership(label, metric, distribution(mine), auc(mine, ref)))
    return MembershipReport(run_id, model, k, tuple(rows))
