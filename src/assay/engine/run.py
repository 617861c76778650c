"""One evaluation, end to end: plan -> execute -> score, every stage through the store."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assay.core.errors import AssayError
from assay.core.protocols import Model
from assay.core.spec import RunPlan, RunSpec, RunSummary
from assay.core.types import to_jsonable
from assay.engine.calls import ExecutionStats
from assay.engine.energy import EnergyMeter, EnergyUse, split_by_model
from assay.engine.executors import build_executor
from assay.engine.plan import TaskRun, WorkUnit, plan
from assay.engine.progress import RunProgress
from assay.engine.retry import RetryPolicy
from assay.engine.scoring import score_run
from assay.engine.tasks import build_task_runs, code_execution, task_aggregators
from assay.models import build_model, parse_model
from assay.store import Store, UnitRecord


@dataclass(frozen=True)
class RunResult:
    run_id: str
    status: str
    stats: ExecutionStats
    scored: int
    duration_s: float
    prompt_modes: dict[str, str]


async def check_models(models: Sequence[Model]) -> None:
    """Reachability and credentials before any unit is sent (a backend that can check, does)."""
    for model in models:
        check = getattr(model, "check_reachable", None)
        if check is not None:
            await check()


def run_plan(runs: Sequence[TaskRun], models: Sequence[Model]) -> RunPlan:
    return RunPlan(
        prompt_modes={r.task.name: ("chat" if r.uses_chat() else "completion") for r in runs},
        task_metrics={r.task.name: tuple(r.task.metric_names) for r in runs},
        task_aggregators={r.task.name: task_aggregators(r.task) for r in runs},
        model_identities={m.name: m.identity for m in models},
        code_execution={
            r.task.name: code_execution(r.task) for r in runs if getattr(r.task, "executes_code", False)
        },
    )


def unit_record(unit: WorkUnit) -> UnitRecord:
    return UnitRecord(
        key=unit.key,
        model=unit.model_name,
        model_identity=unit.model.identity,
        task=unit.task_name,
        task_version=unit.task_version,
        sample_id=unit.sample.id,
        request=to_jsonable(unit.request),
        sample=to_jsonable(unit.sample),
    )


async def _evaluate(spec: RunSpec, store: Store, *, show_progress: bool) -> RunResult:
    started = time.perf_counter()
    meter = EnergyMeter(spec.energy)  # model loading is part of what the run costs
    executor = build_executor(spec.executor, dict(spec.executor_options))
    runs = build_task_runs(spec)
    specs = [parse_model(name, dict(spec.model_args)) for name in spec.models]
    models = [build_model(s) for s in specs]
    try:
        await check_models(models)
        units = plan(models, runs, seed=spec.seed)
        recorded = run_plan(runs, models)
        run_id = store.create_run(spec, recorded)
        store.add_units(run_id, [unit_record(u) for u in units])
        policy = RetryPolicy(max_attempts=spec.max_attempts, timeout=spec.timeout)
        status = "failed"
        remote = None
        try:
            with RunProgress(len(units), enabled=show_progress) as progress:
                stats = await executor.execute(
                    units,
                    store,
                    run_id,
                    policy=policy,
                    progress=progress,
                    models={m.name: s for m, s in zip(models, specs, strict=True)},
                )
            remote = executor.remote_scorer(spec)
            scored = score_run(store, run_id, {r.task.name: r.task for r in runs}, remote=remote)
            status = "done" if stats.errors == 0 else "done_with_errors"
        except (KeyboardInterrupt, asyncio.CancelledError):
            status = "interrupted"
            raise
        finally:
            summary = None
            if status not in ("failed", "interrupted"):
                summary = RunSummary(
                    planned=stats.planned,
                    cached=stats.cached,
                    sent=stats.sent,
                    answered=stats.answered,
                    errors=stats.errors,
                    tokens_evaluated=stats.tokens_evaluated,
                    scored=scored,
                    executor=executor.name,
                    workers=executor.workers,
                    scored_remotely=getattr(remote, "rows_scored", 0),
                    startup_s=round(getattr(executor, "startup_s", 0.0), 3),
                    **energy_fields(meter.read(), store, run_id),
                )
            with contextlib.suppress(AssayError):
                store.finish_run(run_id, status, summary)
    finally:
        executor.close()
        for model in models:
            await model.aclose()
    return RunResult(
        run_id=run_id,
        status=status,
        stats=stats,
        scored=scored,
        duration_s=time.perf_counter() - started,
        prompt_modes=dict(recorded.prompt_modes),
    )


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
