"""Adaptive evaluation (`--until-ci WIDTH`): sample each task in a seeded random order, a batch at a
time, until every model's 95% interval for the task's headline mean is narrower than WIDTH.

The interval is an anytime-valid confidence sequence (`assay.metrics.sequential`), so looking after
every batch and stopping at the first narrow one keeps its coverage; a CLT interval would not. All
models of a task see the same samples (a task stops when the last model's interval is narrow), so
paired comparisons stay possible. Each batch goes through the executor, the store and the scorer like
any run: a killed run, run again, plans the same order, finds the answered units in the store and
decides the same way at the same batch boundaries, so it continues where it stopped; a finished one
run again asks nothing new.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assay.core.errors import ConfigError
from assay.core.protocols import Model
from assay.core.results import ResultRecord
from assay.core.spec import RunSpec
from assay.core.types import ModelSpec
from assay.engine.calls import ExecutionStats
from assay.engine.executors import Executor
from assay.engine.plan import TaskRun, WorkUnit, adaptive_order, plan, unit_record
from assay.engine.progress import RunProgress
from assay.engine.retry import RetryPolicy
from assay.engine.scoring import score_run
from assay.metrics import sequential
from assay.metrics.reducers import reduce_epochs
from assay.store import Store

BATCH_FLOOR = 8  # a batch is the models' concurrency, but never so small that checking dominates


@dataclass
class TaskAdaptation:
    """One task of an adaptive run: its samples in order, how far it got, each model's sequence."""

    run: TaskRun
    metric: str
    units: list[list[WorkUnit]]  # per sample, in the adaptive order: its units (models x epochs)
    models: tuple[str, ...]
    taken: int = 0
    stopped: str = ""  # "" while sampling; "narrow" or "exhausted" once done
    sequences: dict[str, sequential.BettingSequence] = field(default_factory=dict)

    def take(self, size: int) -> list[WorkUnit]:
        chunk = self.units[self.taken : self.taken + size]
        self.taken += len(chunk)
        return [u for sample in chunk for u in sample]

    def update(self, scored: Mapping[str, ResultRecord], width: float, reducer: str, size: int) -> None:
        """Feed the newest samples' scores to each model's sequence (in sample order), then decide."""
        for model in self.models:
            values = []
            for sample in self.units[self.taken - size : self.taken]:
                epochs = [_epoch(scored.get(u.key), self.metric) for u in sample if u.model_name == model]
                answered = [e for e in epochs if e is not None]
                if answered:
                    values.append(reduce_epochs(answered, reducer))
            self.sequences[model] = self._extend(self.sequences.get(model) or sequential.start(), values)
        if all(s.n > 0 and s.width < width for s in self.sequences.values()):
            self.stopped = "narrow"
        elif self.taken >= len(self.units):
            self.stopped = "exhausted"

    def _extend(self, state: sequential.BettingSequence, values: list[float]) -> sequential.BettingSequence:
        try:
            return sequential.extend(state, values)
        except ValueError:
            bad = next(v for v in values if not 0.0 <= v <= 1.0)
            raise ConfigError(
                f"--until-ci needs scores between 0 and 1: task {self.run.task.name}'s headline "
                f"metric {self.metric} gave {bad}"
            ) from None

    def record(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "used": self.taken,
            "available": len(self.units),
            "stopped": self.stopped or "interrupted",
            "intervals": {
                m: {"mean": s.mean, "low": s.lower, "high": s.upper, "n": s.n}
                for m, s in sorted(self.sequences.items())
            },
        }


def _epoch(row: ResultRecord | None, metric: str) -> tuple[float, str | None] | None:
    if row is None or row.scores is None or metric not in row.scores:
        return None  # failed after retries: not scored, so not part of the sequence
    return row.scores[metric], row.extracted


def batch_size(models: Sequence[Model]) -> int:
    return max(BATCH_FLOOR, *(m.max_concurrency for m in models))


def adaptations(spec: RunSpec, runs: Sequence[TaskRun], models: Sequence[Model]) -> list[TaskAdaptation]:
    out = []
    for run in runs:
        samples = adaptive_order(run, spec.seed)
        units = plan(models, [run], seed=spec.seed, epochs=spec.epochs, samples={run.task.name: samples})
        by_sample: dict[str, list[WorkUnit]] = {s.id: [] for s in samples}
        for unit in units:
            by_sample[unit.sample.id].append(unit)
        metric = next(iter(run.task.metric_names), None)
        if metric is None:
            raise ConfigError(f"--until-ci: task {run.task.name} declares no metric to stop on")
        names = tuple(dict.fromkeys(m.name for m in models))
        out.append(TaskAdaptation(run, metric, list(by_sample.values()), names))
    return out


async def execute_adaptive(
    spec: RunSpec,
    tasks: list[TaskAdaptation],
    *,
    store: Store,
    run_id: str,
    executor: Executor,
    policy: RetryPolicy,
    progress: RunProgress,
    models: Mapping[str, ModelSpec],
    batch: int,
) -> tuple[ExecutionStats, int]:
    """Ask and score batches until every task has stopped; each task's state says how it ended."""
    assert spec.until_ci is not None
    stats, scored, position = ExecutionStats(), 0, 0
    by_name = {t.run.task.name: t.run.task for t in tasks}
    while active := [t for t in tasks if not t.stopped]:
        sizes = [min(batch, len(t.units) - t.taken) for t in active]
        units = [u for t, size in zip(active, sizes, strict=True) for u in t.take(size)]
        store.add_units(run_id, [unit_record(u) for u in units], first_position=position)
        position += len(units)
        stats.add(
            await executor.execute(units, store, run_id, policy=policy, progress=progress, models=models)
        )
        scored += score_run(store, run_id, by_name)
        rows = {r.key: r for r in store.results(run_id)}
        for task, size in zip(active, sizes, strict=True):
            task.update(rows, spec.until_ci, spec.epochs_reducer, size)
    progress.finish()
    return stats, scored


def adaptive_record(spec: RunSpec, tasks: Sequence[TaskAdaptation], batch: int) -> dict[str, Any]:
    """What an adaptive run records in its summary: the rule, its settings, and each task's outcome."""
    return {
        "rule": sequential.METHOD,
        "confidence": 1 - sequential.ALPHA,
        "width": spec.until_ci,
        "seed": spec.seed,
        "batch": batch,
        "tasks": {t.run.task.name: t.record() for t in tasks},
    }
