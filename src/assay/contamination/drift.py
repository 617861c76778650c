"""Drift: did the model behind one name change? Its runs over time, compared on the samples they share.

Each run of the model is compared with the one before it that has the same task: the paired
difference of the headline metric (metrics.paired.compare_paired: bootstrap interval, exact McNemar
for right/wrong scores) over the sample ids both runs scored, and the samples whose answers changed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from assay.core.errors import AssayError
from assay.core.results import ResultRecord, RunRecord
from assay.metrics import summarize
from assay.metrics.paired import PairedComparison, compare_paired
from assay.store import Store


@dataclass(frozen=True)
class HistoryPoint:
    run_id: str
    created_at: float
    task: str
    metric: str
    value: float
    n: int


@dataclass(frozen=True)
class ChangedAnswer:
    sample_id: str
    before: str | None
    after: str | None
    score_before: float | None
    score_after: float | None


@dataclass(frozen=True)
class DriftStep:
    """One task between two consecutive runs of the model, on the samples both scored."""

    task: str
    metric: str
    run_before: str
    run_after: str
    shared: int
    comparison: PairedComparison | None  # None with fewer than two shared samples
    changed: tuple[ChangedAnswer, ...]


@dataclass(frozen=True)
class DriftReport:
    model: str
    history: tuple[HistoryPoint, ...]
    steps: tuple[DriftStep, ...]


def answer_of(row: ResultRecord) -> str | None:
    """What the model answered: the extracted answer, else the response text."""
    if row.extracted is not None:
        return row.extracted
    response = row.response or {}
    text = response.get("text")
    return text if isinstance(text, str) else None


def _by_task(
    run: RunRecord, results: list[ResultRecord], model: str
) -> dict[str, tuple[str, dict[str, ResultRecord]]]:
    """task -> (headline metric, sample id -> scored row) for this model's rows of the run."""
    rows: dict[str, dict[str, ResultRecord]] = defaultdict(dict)
    for row in results:
        if row.model == model and row.scores:
            rows[row.task][row.sample_id] = row
    out = {}
    for task, samples in rows.items():
        first = next(iter(samples.values()))
        metric = run.plan.headline(task) or next(iter(first.scores or {"-": 0.0}))
        out[task] = (metric, samples)
    return out


def _step(task: str, metric: str, before: tuple[str, dict[str, ResultRecord]],
          after: tuple[str, dict[str, ResultRecord]], seed: int) -> DriftStep:  # fmt: skip
    (run_a, rows_a), (run_b, rows_b) = before, after
    shared = sorted(s for s in rows_a.keys() & rows_b.keys()
                    if metric in (rows_a[s].scores or {}) and metric in (rows_b[s].scores or {}))  # fmt: skip
    old = [(rows_a[s].scores or {})[metric] for s in shared]
    new = [(rows_b[s].scores or {})[metric] for s in shared]
    comparison = None
    if len(shared) >= 2:
        comparison = compare_paired(new, old, names=("after", "before"), seed=seed)
    changed = tuple(
        ChangedAnswer(s, answer_of(rows_a[s]), answer_of(rows_b[s]), o, n)
        for s, o, n in zip(shared, old, new, strict=True)
        if answer_of(rows_a[s]) != answer_of(rows_b[s]) or o != n
    )
    return DriftStep(task, metric, run_a, run_b, len(shared), comparison, changed)


def drift(store: Store, model: str, *, scan: int = 200, seed: int = 0) -> DriftReport:
    """The model's runs (oldest first) and each task's change from one run to the next."""
    runs = sorted(
        (r for r in store.list_runs(limit=scan) if model in r.spec.models), key=lambda r: r.created_at
    )
    if not runs:
        raise AssayError(f"no run of model {model!r} in the store")
    history: list[HistoryPoint] = []
    steps: list[DriftStep] = []
    last: dict[str, tuple[str, dict[str, ResultRecord]]] = {}
    for run in runs:
        for task, (metric, rows) in sorted(_by_task(run, store.results(run.id), model).items()):
            values = [(r.scores or {})[metric] for r in rows.values() if metric in (r.scores or {})]
            summary = summarize(values)
            if summary.n:
                history.append(HistoryPoint(run.id, run.created_at, task, metric, summary.mean, summary.n))
            if task in last:
                steps.append(_step(task, metric, last[task], (run.id, rows), seed))
            last[task] = (run.id, rows)
    return DriftReport(model, tuple(history), tuple(steps))
