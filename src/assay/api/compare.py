"""Is model A better than model B, and how sure are we? `assay.compare("RUN_A", "RUN_B")`.

Per task, the two sides are paired on the samples both answered (same sample id and content), and
`assay.metrics.paired` gives the difference with a paired bootstrap interval (over whole clusters
when samples carry a "cluster" in their metadata), McNemar's exact test for binary scores, the
correlation of per-sample scores, the smallest difference the run could detect, and a verdict in
words. Across tasks the p-values are Holm-corrected and the verdicts use the corrected ones.
Samples without a score (errors, unanswered) never enter a pair; they are counted.

    cmp = assay.compare("latest:alpha", "latest:beta", store="results.db")
    cmp.tasks[0].verdict          # "alpha is better than beta by 4.1 points (95% CI 1.2 to 7.0)"
    cmp.to_frame()                # one row per task

See `assay.api.compare_sides` for what a side may name (RUN, RUN:MODEL, MODEL).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from assay.api.compare_sides import Side, SideResults, labels, resolve_side
from assay.api.results import RunRef, run_id_of
from assay.api.stores import StoreLike, using_store
from assay.api.views import LOWER_IS_BETTER, headline_metric
from assay.core.errors import AssayError
from assay.core.results import ResultRecord
from assay.metrics.paired import BOOTSTRAP_RESAMPLES, better_of, compare_paired, holm, verdict_in_words

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class TaskComparison:
    """A against B on one task's shared samples. Differences are A - B in the metric's own units;
    `scale` turns them into the "points" of the verdict (100 for scores between 0 and 1)."""

    task: str
    metric: str
    shared: int  # samples paired: both sides scored them
    dropped: int  # samples of either side left out: the four counts below
    only_a: int  # answered by A alone
    only_b: int
    errored: int  # in both, but one side (or both) has no score: an error or no answer
    mismatched: int  # same sample id, different sample content (another task version)
    unscored_a: int  # A's samples of this task without a score (failed, unanswered), shared or not
    unscored_b: int
    clusters: int | None  # independent clusters when samples carry a "cluster"; None: independent
    mean_a: float
    mean_b: float
    difference: float
    se: float
    low: float
    high: float
    test: str
    p_value: float
    p_holm: float  # Holm-corrected across the compared tasks
    correlation: float
    detectable: float  # minimum detectable difference at this n (alpha, power as asked)
    significant: bool  # on the Holm-corrected p-value, and the interval excludes 0
    better: str | None  # the better side's label when significant
    verdict: str
    scale: float
    higher_is_better: bool

    def gap(self) -> tuple[float, float, float]:
        """The better side's advantage and its interval, in points (positive numbers)."""
        sign = 1.0 if self.difference > 0 else -1.0
        low, high = sorted((sign * self.low * self.scale, sign * self.high * self.scale))
        return abs(self.difference) * self.scale, low, high

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Comparison:
    """Side A against side B on every task both have; `tasks` sorted by name."""

    a: Side
    b: Side
    tasks: tuple[TaskComparison, ...]
    only_in_a: tuple[str, ...]  # tasks one side has and the other does not
    only_in_b: tuple[str, ...]
    alpha: float
    power: float
    correction: str = "holm"

    def records(self) -> list[dict[str, Any]]:
        """One flat record per task (the DataFrame's rows), with the sides' labels."""
        return [{"a": self.a.label, "b": self.b.label, **t.to_dict()} for t in self.tasks]

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": asdict(self.a),
            "b": asdict(self.b),
            "alpha": self.alpha,
            "power": self.power,
            "correction": self.correction,
            "only_in_a": list(self.only_in_a),
            "only_in_b": list(self.only_in_b),
            "tasks": [t.to_dict() for t in self.tasks],
        }

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.records())


def compare(
    a: RunRef,
    b: RunRef,
    *,
    tasks: Sequence[str] | None = None,
    metric: str | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
    by_model_name: bool = True,
    store: StoreLike = None,
) -> Comparison:
    """Paired comparison of two sides on their shared tasks and samples.

    `a`, `b`: a run id (or prefix, or "latest") whose only model is compared, "RUN:MODEL", or a model
    name (its newest results per task; `by_model_name=False` refuses it, for names from strangers:
    it reads up to 200 runs). `tasks` limits the tasks; `metric` replaces each task's headline."""
    if not 0.0 < alpha < 1.0 or not 0.0 < power < 1.0:
        raise AssayError(f"alpha and power must be between 0 and 1, got {alpha} and {power}")
    if resamples < 100:
        raise AssayError(f"resamples must be at least 100, got {resamples}")
    with using_store(store) as opened:
        loaded: dict[str, list[ResultRecord]] = {}
        side_a = resolve_side(opened, run_id_of(a), by_model_name=by_model_name, loaded=loaded)
        side_b = resolve_side(opened, run_id_of(b), by_model_name=by_model_name, loaded=loaded)
    label_a, label_b = labels(side_a.side, side_b.side)
    side_a = replace(side_a, side=replace(side_a.side, label=label_a))
    side_b = replace(side_b, side=replace(side_b.side, label=label_b))
    common = sorted(set(side_a.by_task) & set(side_b.by_task))
    if tasks:
        _check_tasks(tasks, side_a, side_b)
        common = [t for t in common if t in set(tasks)]
    if not common:
        raise AssayError(
            f"{label_a} and {label_b} share no task ({label_a}: {', '.join(sorted(side_a.by_task))}; "
            f"{label_b}: {', '.join(sorted(side_b.by_task))})"
        ) from None
    rows = [
        _task(task, side_a, side_b, metric, alpha=alpha, power=power, resamples=resamples, seed=seed)
        for task in common
    ]
    return Comparison(
        a=side_a.side,
        b=side_b.side,
        tasks=tuple(_holm_verdicts(rows, alpha)),
        only_in_a=tuple(sorted(set(side_a.by_task) - set(side_b.by_task))),
        only_in_b=tuple(sorted(set(side_b.by_task) - set(side_a.by_task))),
        alpha=alpha,
        power=power,
    )


def _check_tasks(tasks: Sequence[str], side_a: SideResults, side_b: SideResults) -> None:
    for task in tasks:
        for side in (side_a, side_b):
            if task not in side.by_task:
                have = ", ".join(sorted(side.by_task))
                raise AssayError(f"{side.side.label} has no results for task {task!r} (it has: {have})")


def _score(row: ResultRecord, metric: str) -> float | None:
    value = row.scores.get(metric) if row.scores else None
    return None if value is None or not math.isfinite(value) else float(value)


def _content(sample: dict[str, Any]) -> Any:
    """A stored sample without its location metadata ("where": file and line), for comparing."""
    meta = sample.get("metadata")
    if isinstance(meta, list):
        return {**sample, "metadata": [m for m in meta if not (isinstance(m, list) and m[:1] == ["where"])]}
    return sample


def cluster_of(sample: dict[str, Any]) -> Hashable | None:
    """The sample's "cluster" metadata (a passage, a context, a subject), if its task declares one."""
    for item in sample.get("metadata") or ():
        if isinstance(item, list | tuple) and len(item) == 2 and item[0] == "cluster":
            value = item[1]
            return value if isinstance(value, Hashable) else str(value)
    return None


@dataclass(frozen=True)
class _Pairs:
    a: list[float]
    b: list[float]
    clusters: list[Hashable] | None
    only_a: int
    only_b: int
    errored: int
    mismatched: int


def _pair(rows_a: list[ResultRecord], rows_b: list[ResultRecord], metric: str) -> _Pairs:
    by_id_b = {r.sample_id: r for r in rows_b}
    ids_a = {r.sample_id for r in rows_a}
    a, b, found_clusters = [], [], []
    errored = mismatched = 0
    for row in rows_a:
        other = by_id_b.get(row.sample_id)
        if other is None:
            continue
        if _content(row.sample) != _content(other.sample):
            mismatched += 1
            continue
        score_a, score_b = _score(row, metric), _score(other, metric)
        if score_a is None or score_b is None:
            errored += 1
            continue
        a.append(score_a)
        b.append(score_b)
        found_clusters.append(cluster_of(row.sample))
    clusters: list[Hashable] | None = None
    if any(c is not None for c in found_clusters):  # a sample without one is a cluster of its own
        clusters = [("cluster", c) if c is not None else ("sample", i) for i, c in enumerate(found_clusters)]
    only_a = len(ids_a - set(by_id_b))
    return _Pairs(a, b, clusters, only_a, len(set(by_id_b) - ids_a), errored, mismatched)


def _task(
    task: str,
    side_a: SideResults,
    side_b: SideResults,
    metric: str | None,
    *,
    alpha: float,
    power: float,
    resamples: int,
    seed: int,
) -> TaskComparison:
    rows_a, rows_b = side_a.by_task[task], side_b.by_task[task]
    chosen = metric or headline_metric(side_a.run_of_task[task], task, rows_a) or "-"
    pairs = _pair(rows_a, rows_b, chosen)
    counts: dict[str, Any] = {
        "task": task,
        "metric": chosen,
        "shared": len(pairs.a),
        "dropped": pairs.only_a + pairs.only_b + pairs.errored + pairs.mismatched,
        "only_a": pairs.only_a,
        "only_b": pairs.only_b,
        "errored": pairs.errored,
        "mismatched": pairs.mismatched,
        "unscored_a": sum(1 for r in rows_a if _score(r, chosen) is None),
        "unscored_b": sum(1 for r in rows_b if _score(r, chosen) is None),
        "higher_is_better": chosen not in LOWER_IS_BETTER,
    }
    if len(pairs.a) < 2:
        return _not_compared(counts, pairs)
    names = (side_a.side.label, side_b.side.label)
    values = np.asarray(pairs.a + pairs.b)
    scale = 100.0 if bool(np.all((values >= 0) & (values <= 1))) else 1.0
    found = compare_paired(
        pairs.a,
        pairs.b,
        pairs.clusters,
        alpha=alpha,
        power=power,
        resamples=resamples,
        seed=seed,
        names=names,
        scale=scale,
        higher_is_better=counts["higher_is_better"],
    )
    better = better_of(found.difference, names, counts["higher_is_better"])[0] if found.significant else None
    return TaskComparison(
        **counts,
        clusters=found.clusters if pairs.clusters is not None else None,
        **{k: getattr(found, k) for k in _FROM_PAIRED},
        p_holm=found.p_value,
        better=better,
        scale=scale,
    )


# what a task's record takes over unchanged from the paired comparison
_FROM_PAIRED = (
    "mean_a", "mean_b", "difference", "se", "low", "high", "test", "p_value", "correlation",
    "detectable", "significant", "verdict",
)  # fmt: skip


def _not_compared(counts: dict[str, Any], pairs: _Pairs) -> TaskComparison:
    """Fewer than two pairs: nothing to test; the counts say why."""
    n = len(pairs.a)
    nothing: dict[str, Any] = dict.fromkeys(
        ("difference", "se", "low", "high", "p_value", "p_holm"), math.nan
    )
    return TaskComparison(
        **counts,
        **nothing,
        clusters=None,
        mean_a=float(np.mean(pairs.a)) if n else math.nan,
        mean_b=float(np.mean(pairs.b)) if n else math.nan,
        correlation=math.nan,
        detectable=math.nan,
        test="none",
        significant=False,
        better=None,
        verdict=f"cannot compare: {n} shared sample{'s' if n != 1 else ''} with a {counts['metric']!r} score",
        scale=100.0,
    )


def _holm_verdicts(rows: list[TaskComparison], alpha: float) -> list[TaskComparison]:
    """Holm's correction over the tasks that have a p-value; significance and verdicts follow it."""
    tested = [i for i, r in enumerate(rows) if not math.isnan(r.p_value)]
    if len(tested) < 2:
        return rows
    adjusted = holm([rows[i].p_value for i in tested])
    out = list(rows)
    for i, p_holm in zip(tested, adjusted, strict=True):
        row = rows[i]
        significant = row.significant and p_holm < alpha
        verdict = row.verdict
        if row.significant and not significant:
            verdict = verdict_in_words(
                row.difference,
                row.low,
                row.high,
                row.detectable,
                False,
                scale=row.scale,
                confidence=1 - alpha,
                adjusted=(row.p_value, p_holm, len(tested)),
            )
        out[i] = replace(
            row,
            p_holm=p_holm,
            significant=significant,
            better=row.better if significant else None,
            verdict=verdict,
        )
    return out
