"""One evaluation, end to end: plan -> execute -> score, every stage through the store."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from assay.core.errors import AssayError, ConfigError
from assay.core.protocols import Model, Task
from assay.core.spec import RunPlan, RunSpec, RunSummary
from assay.core.types import ModelSpec
from assay.engine.adaptive import TaskAdaptation, adaptations, adaptive_record, batch_size, execute_adaptive
from assay.engine.agent.loop import run_agent_units
from assay.engine.calls import ExecutionStats
from assay.engine.energy import EnergyMeter, EnergyUse, split_by_model
from assay.engine.executors import Executor, build_executor
from assay.engine.plan import TaskRun, WorkUnit, check_epochs, plan, unit_record
from assay.engine.progress import RunProgress
from assay.engine.retry import RetryPolicy
from assay.engine.scoring import score_run
from assay.engine.tasks import build_task_runs, code_execution, task_aggregators
from assay.models import build_model, parse_model
from assay.store import Store

__all__ = ["RunResult", "evaluate", "run_plan", "unit_record"]


@dataclass(frozen=True)
class RunResult:
    run_id: str
    status: str
    stats: ExecutionStats
    scored: int
    duration_s: float
    prompt_modes: dict[str, str]
    adaptive: dict[str, Any] | None = None  # an adaptive run's rule, settings and per-task outcome


async def check_models(models: Sequence[Model]) -> None:
    """Reachability and credentials before any unit is sent (a backend that can check, does)."""
    for model in models:
        check = getattr(model, "check_reachable", None)
        if check is not None:
            await check()


def run_plan(runs: Sequence[TaskRun], models: Sequence[Model], *, epochs: int = 1) -> RunPlan:
    repeats = ("epochs",) if epochs > 1 else ()  # the within-sample variance of the repeats
    return RunPlan(
        prompt_modes={r.task.name: ("chat" if r.uses_chat() else "completion") for r in runs},
        task_metrics={r.task.name: tuple(r.task.metric_names) for r in runs},
        task_aggregators={r.task.name: (*task_aggregators(r.task), *repeats) for r in runs},
        model_identities={m.name: m.identity for m in models},
        code_execution={
            r.task.name: code_execution(r.task) for r in runs if getattr(r.task, "executes_code", False)
        },
    )


@dataclass
class _Execution:
    """What running the units gave: counts, scores written, and an adaptive run's outcome."""

    stats: ExecutionStats
    scored: int = 0
    adaptive: dict[str, Any] | None = None
    scored_remotely: int = 0  # answers scored on the executor's workers (code run on cluster nodes)


@dataclass(frozen=True)
class _Planned:
    """The units of a run, or for an adaptive run each task's samples in order (asked in batches)."""

    units: list[WorkUnit]
    adaptive: list[TaskAdaptation] | None = None
    batch: int = 0  # samples per task asked between two looks at the intervals


def _plan(spec: RunSpec, runs: Sequence[TaskRun], models: Sequence[Model]) -> _Planned:
    """Planned before the run is recorded, so a planning mistake records no failed run."""
    for task_run in runs:
        check_epochs(task_run, spec.epochs)
    if spec.until_ci is None:
        return _Planned(plan(models, runs, seed=spec.seed, epochs=spec.epochs))
    if spec.executor != "local":
        raise ConfigError("--until-ci runs on the local executor for now (it asks a batch at a time)")
    return _Planned([], adaptations(spec, runs, models), batch_size(models))


async def _run_units(
    spec: RunSpec,
    store: Store,
    run_id: str,
    planned: _Planned,
    tasks: dict[str, Task],
    by_model: dict[str, ModelSpec],
    executor: Executor,
    *,
    show_progress: bool,
) -> _Execution:
    """Ask and score every planned unit, or (with `until_ci`) batches until the intervals are narrow."""
    policy = RetryPolicy(max_attempts=spec.max_attempts, timeout=spec.timeout)
    if planned.adaptive is not None:
        if any(getattr(task, "agentic", False) for task in tasks.values()):
            raise ConfigError("--until-ci cannot stop agent tasks early yet: run them without it")
        adaptive, batch = planned.adaptive, planned.batch
        total = sum(len(s) for t in adaptive for s in t.units)
        with RunProgress(total, enabled=show_progress) as progress:
            stats, scored = await execute_adaptive(
                spec, adaptive, store=store, run_id=run_id, executor=executor, policy=policy,
                progress=progress, models=by_model, batch=batch,
            )  # fmt: skip
        return _Execution(stats, scored, adaptive_record(spec, adaptive, batch))
    units = planned.units
    store.add_units(run_id, [unit_record(u) for u in units])
    agentic = {name: task for name, task in tasks.items() if getattr(task, "agentic", False)}
    with RunProgress(len(units), enabled=show_progress) as progress:
        stats = await executor.execute(
            [u for u in units if u.task_name not in agentic],
            store, run_id, policy=policy, progress=progress, models=by_model,
        )  # fmt: skip
        if agentic:  # many turns per unit: the agent loop plays them (locally)
            stats.add(await _play_agents(units, agentic, store, run_id, policy, progress))
    remote = executor.remote_scorer(spec)
    scored = score_run(store, run_id, tasks, remote=remote)
    return _Execution(stats, scored, scored_remotely=getattr(remote, "rows_scored", 0))


async def _evaluate(spec: RunSpec, store: Store, *, show_progress: bool) -> RunResult:
    started = time.perf_counter()
    meter = EnergyMeter(spec.energy)  # model loading is part of what the run costs
    executor = build_executor(spec.executor, dict(spec.executor_options))
    runs = build_task_runs(spec)
    specs = [parse_model(name, dict(spec.model_args)) for name in spec.models]
    models = [build_model(s) for s in specs]
    try:
        await check_models(models)
        planned = _plan(spec, runs, models)
        recorded = run_plan(runs, models, epochs=spec.epochs)
        run_id = store.create_run(spec, recorded)
        status, done = "failed", None
        try:
            by_model = {m.name: s for m, s in zip(models, specs, strict=True)}
            tasks = {r.task.name: r.task for r in runs}
            done = await _run_units(
                spec, store, run_id, planned, tasks, by_model, executor, show_progress=show_progress
            )
            status = "done" if done.stats.errors == 0 else "done_with_errors"
        except (KeyboardInterrupt, asyncio.CancelledError):
            status = "interrupted"
            raise
        finally:
            summary = None
            if done is not None:
                summary = replace(_summary(done, executor), **energy_fields(meter.read(), store, run_id))
            with contextlib.suppress(AssayError):
                store.finish_run(run_id, status, summary)
    finally:
        executor.close()
        for model in models:
            await model.aclose()
    assert done is not None  # every way of leaving without it raised
    return RunResult(
        run_id=run_id,
        status=status,
        stats=done.stats,
        scored=done.scored,
        duration_s=time.perf_counter() - started,
        prompt_modes=dict(recorded.prompt_modes),
        adaptive=done.adaptive,
    )


def _summary(done: _Execution, executor: Executor) -> RunSummary:
    stats = done.stats
    return RunSummary(
        planned=stats.planned,
        cached=stats.cached,
        sent=stats.sent,
        answered=stats.answered,
        errors=stats.errors,
        tokens_evaluated=stats.tokens_evaluated,
        scored=done.scored,
        executor=executor.name,
        workers=executor.workers,
        scored_remotely=done.scored_remotely,
        startup_s=round(getattr(executor, "startup_s", 0.0), 3),
        adaptive=done.adaptive or {},
    )


async def _play_agents(
    units: Sequence[WorkUnit],
    agentic: dict[str, Any],
    store: Store,
    run_id: str,
    policy: RetryPolicy,
    progress: RunProgress,
) -> ExecutionStats:
    mine = [u for u in units if u.task_name in agentic]
    stats = await run_agent_units(
        mine, agentic, store, run_id, policy, on_done=lambda failed: progress.advance(error=failed)
    )
    progress.advance(cached=stats.cached, steps=stats.cached)
    return stats


def energy_fields(use: EnergyUse, store: Store, run_id: str) -> dict[str, Any]:
    """The run summary's energy fields; the total shared among models by their request time."""
    busy: dict[str, float] = defaultdict(float)
    for row in store.results(run_id):
        busy[row.model] += row.latency_s or 0.0
    return {
        "energy_j": round(use.joules, 3),
        "energy_method": use.method,
        "co2e_g": round(use.co2e_g, 6),
        "grid_g_per_kwh": use.grid_g_per_kwh,
        "cpu_s": round(use.cpu_s, 3),
        "energy_by_model": {m: round(j, 3) for m, j in split_by_model(use.joules, busy).items()},
    }


def evaluate(spec: RunSpec, store: Store, *, show_progress: bool = False) -> RunResult:
    """Run the spec to completion and return where its results are (`run_id` in the store)."""
    return asyncio.run(_evaluate(spec, store, show_progress=show_progress))
