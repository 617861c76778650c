"""One evaluation, end to end: plan -> execute -> score, every stage through the store."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assay.core.errors import AssayError, ConfigError
from assay.core.flags import parse_flag
from assay.core.protocols import Model, Task
from assay.core.registry import suites, tasks
from assay.core.types import to_jsonable
from assay.engine.execute import ExecutionStats, execute
from assay.engine.plan import PromptMode, TaskRun, plan
from assay.engine.progress import RunProgress
from assay.engine.retry import RetryPolicy
from assay.engine.scoring import score_run
from assay.models import build_model, parse_model
from assay.store import Store


@dataclass(frozen=True)
class EvalSpec:
    """What to evaluate. Everything here is recorded with the run."""

    models: tuple[str, ...]
    tasks: tuple[tuple[str, dict[str, Any]], ...]
    limit: int | None = None
    seed: int = 0
    prompt_mode: PromptMode = "auto"
    model_args: dict[str, Any] = field(default_factory=dict)
    sample_ids: tuple[str, ...] | None = None
    max_attempts: int = 5
    timeout: float | None = 600.0
    unsafe_no_sandbox: bool = False  # run model-written code without isolation (recorded with the run)


@dataclass(frozen=True)
class RunResult:
    run_id: str
    status: str
    stats: ExecutionStats
    scored: int
    duration_s: float
    prompt_modes: dict[str, str]


def expand_tasks(names: Sequence[str]) -> tuple[tuple[str, dict[str, Any]], ...]:
    """Task names, suite names (`quick`) and task files (`my_task.yaml`) -> (task, options) pairs."""
    import assay.tasks  # noqa: F401  (registers the built-in tasks and suites)
    from assay.tasks.spec import is_spec_path

    out: list[tuple[str, dict[str, Any]]] = []
    for name in names:
        if is_spec_path(name):
            out.append(("spec", {"path": name}))  # a task file: checked when the run is planned
        elif name in suites:
            out.extend((t, dict(opts)) for t, opts in suites.get(name)())
        else:
            tasks.get(name)  # fail early with the list of known names
            out.append((name, {}))
    return tuple(out)


def build_task_runs(spec: EvalSpec) -> list[TaskRun]:
    import assay.tasks  # noqa: F401

    runs = []
    for name, options in spec.tasks:
        opts = dict(options)
        limit = opts.pop("limit", None)
        rotate = _flag(opts.pop("circular", False), name)
        if spec.limit is not None:
            limit = spec.limit if limit is None else min(int(limit), spec.limit)
        factory = tasks.get(name)
        if spec.unsafe_no_sandbox and "unsafe_no_sandbox" in inspect.signature(factory).parameters:
            opts["unsafe_no_sandbox"] = True
        try:
            task = factory(**opts)
        except TypeError as exc:
            raise ConfigError(f"task {name}: bad option ({exc})") from None
        assert isinstance(task, Task)
        _check_sandbox(task)
        if rotate:
            from assay.tasks.circular import circular

            task, limit = circular(task, limit), None
        runs.append(
            TaskRun(
                task=task,
                options=opts,
                limit=limit,
                prompt_mode=spec.prompt_mode,
                sample_ids=frozenset(spec.sample_ids) if spec.sample_ids else None,
            )
        )
    return runs


def _check_sandbox(task: Task) -> None:
    """Refuse before any model is asked, not after: a code task needs the sandbox or an explicit opt-out."""
    if not getattr(task, "executes_code", False) or getattr(task, "unsafe_no_sandbox", False):
        return
    from assay.sandbox import sandbox_problem

    problem = sandbox_problem()
    if problem:
        raise ConfigError(
            f"task {task.name} runs model-written code and the sandbox cannot work here: {problem}. "
            "Install bubblewrap, or pass --unsafe-no-sandbox to run the code without isolation "
            "(not recommended; the run record says so)"
        )


def _code_execution(task: Task) -> str:
    """What the run record says about model-written code: what will really happen, not the flag."""
    from assay.sandbox import sandbox_problem

    if sandbox_problem() is None:
        return "bubblewrap sandbox"
    return "no sandbox (--unsafe-no-sandbox)" if getattr(task, "unsafe_no_sandbox", False) else "refused"


def _flag(value: Any, task: str) -> bool:
    return parse_flag(value, f"task {task}: circular")


DEFAULT_AGGREGATORS = ("by_group",)


def task_aggregators(task: Task) -> list[str]:
    """Run-level metrics for a task: per-group means always, calibration for multiple choice, then
    whatever the task asks for itself (pass@k, bias scores, ...)."""
    names = [*DEFAULT_AGGREGATORS, *(("calibration",) if task.output_type == "multiple_choice" else ())]
    names += [n for n in getattr(task, "aggregators", ()) if n not in names]
    return names


async def _check_models(models: Sequence[Model]) -> None:
    for model in models:
        check = getattr(model, "check_reachable", None)
        if check is not None:
            await check()


async def _evaluate(spec: EvalSpec, store: Store, *, show_progress: bool) -> RunResult:
    started = time.perf_counter()
    runs = build_task_runs(spec)
    models = [build_model(parse_model(name, spec.model_args)) for name in spec.models]
    try:
        await _check_models(models)
        units = plan(models, runs, seed=spec.seed)
        prompt_modes = {r.task.name: ("chat" if r.uses_chat() else "completion") for r in runs}
        record = {
            **to_jsonable(dataclasses.asdict(spec)),
            "prompt_modes": prompt_modes,
            "task_aggregators": {r.task.name: task_aggregators(r.task) for r in runs},
            "model_identities": {m.name: m.identity for m in models},
            "code_execution": {
                r.task.name: _code_execution(r.task) for r in runs if getattr(r.task, "executes_code", False)
            },
        }
        run_id = store.create_run(record)
        store.add_units(run_id, [_unit_record(u) for u in units])
        policy = RetryPolicy(max_attempts=spec.max_attempts, timeout=spec.timeout)
        status = "failed"
        try:
            with RunProgress(len(units), enabled=show_progress) as progress:
                stats = await execute(units, store, run_id, policy=policy, progress=progress)
            scored = score_run(store, run_id, {r.task.name: r.task for r in runs})
            status = "done" if stats.errors == 0 else "done_with_errors"
        finally:
            summary = None if status == "failed" else {**dataclasses.asdict(stats), "scored": scored}
            with contextlib.suppress(AssayError):
                store.finish_run(run_id, status, summary)
    finally:
        for model in models:
            await model.aclose()
    return RunResult(
        run_id=run_id,
        status=status,
        stats=stats,
        scored=scored,
        duration_s=time.perf_counter() - started,
        prompt_modes=prompt_modes,
    )


def _unit_record(unit: Any) -> Any:
    from assay.store import UnitRecord

    return UnitRecord(
        key=unit.key,
        model=unit.model_name,
        model_identity=unit.model.identity,
        task=unit.task.name,
        task_version=unit.task.version,
        sample_id=unit.sample.id,
        request=to_jsonable(unit.request),
        sample=to_jsonable(unit.sample),
    )


def evaluate(spec: EvalSpec, store: Store, *, show_progress: bool = False) -> RunResult:
    """Run the spec to completion and return where its results are (`run_id` in the store)."""
    return asyncio.run(_evaluate(spec, store, show_progress=show_progress))
