"""assay's own evaluated runs, read from the store (never written): per model and task the headline
score as a benchmark result, and per model the measured requests, busy time and tokens."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from assay.core.results import ResultRecord
from assay.store import Store
from assay.trends.records import BenchmarkResult


@dataclass(frozen=True)
class RunUsage:
    run_id: str
    model: str
    queries: int  # answered requests
    busy_s: float  # sum of the measured request latencies
    tokens: int  # prompt + completion tokens, or tokens evaluated for log-likelihood requests


@dataclass(frozen=True)
class OwnRuns:
    results: tuple[BenchmarkResult, ...]
    usage: tuple[RunUsage, ...]


def response_tokens(response: dict[str, object] | None) -> int:
    if not response:
        return 0
    keys = ("prompt_tokens", "completion_tokens", "tokens_evaluated")
    return sum(v for k in keys if isinstance(v := response.get(k), int))


def summarize_run(run_id: str, rows: Sequence[ResultRecord]) -> OwnRuns:
    """Pure: one result per (model, task) from the headline metric (the first the scorer wrote), in
    points of 100 when the metric is a 0-1 rate, and one usage row per model."""
    groups: dict[tuple[str, str], list[ResultRecord]] = defaultdict(list)
    for row in rows:
        groups[(row.model, row.task)].append(row)
    results = []
    for (model, task), members in groups.items():
        metric = next((next(iter(r.scores)) for r in members if r.scores), None)
        values = [r.scores[metric] for r in members if metric and r.scores and metric in r.scores]
        if not values:
            continue
        mean = sum(values) / len(values)
        rate = all(0.0 <= v <= 1.0 for v in values)
        results.append(
            BenchmarkResult(
                benchmark=task,
                model=model,
                score=100.0 * mean if rate else mean,
                unit="%" if rate else str(metric),
                source=f"assay run {run_id} ({len(values)} samples)",
            )
        )
    usage: dict[str, RunUsage] = {}
    for row in rows:
        if row.response is None:
            continue
        old = usage.get(row.model, RunUsage(run_id, row.model, 0, 0.0, 0))
        usage[row.model] = RunUsage(
            run_id,
            row.model,
            old.queries + 1,
            old.busy_s + (row.latency_s or 0.0),
            old.tokens + response_tokens(row.response),
        )
    return OwnRuns(tuple(results), tuple(usage.values()))


def read_own_runs(store: Store, run_ids: Sequence[str] | None = None, *, limit: int = 20) -> OwnRuns:
    """The newest `limit` runs (or the runs named), read-only."""
    runs = [store.get_run(r) for r in run_ids] if run_ids else store.list_runs(limit)
    results: list[BenchmarkResult] = []
    usage: list[RunUsage] = []
    for run in runs:
        own = summarize_run(run.id, store.results(run.id))
        results.extend(own.results)
        usage.extend(own.usage)
    return OwnRuns(tuple(results), tuple(usage))
