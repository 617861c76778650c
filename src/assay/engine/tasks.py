"""From what the user named (tasks, suites, task files, `TASK.KEY=VALUE` options) to configured tasks."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from assay.core.errors import ConfigError
from assay.core.flags import parse_flag
from assay.core.protocols import Task
from assay.core.registry import suites, tasks
from assay.core.spec import RunSpec, TaskConfig
from assay.core.types import Sample
from assay.engine.plan import TaskRun, select_samples
from assay.sandbox import isolation, sandbox_problem
from assay.tasks.circular import circular
from assay.tasks.perturb import perturbed
from assay.tasks.spec import is_spec_path
from assay.tasks.toxicity import with_toxicity
from assay.tasks.wrapped import TaskWrapper

# Run-level metrics every task gets: per-group means; calibration too for multiple choice.
DEFAULT_AGGREGATORS = ("by_group",)


def expand_tasks(names: Sequence[str]) -> tuple[TaskConfig, ...]:
    """Task names, suite names (`quick`) and task files (`my_task.yaml`) -> configured tasks."""
    out: list[TaskConfig] = []
    for name in names:
        if is_spec_path(name):
            out.append(TaskConfig("spec", {"path": name}))  # a task file: checked when the run is planned
        elif name in suites:
            out.extend(TaskConfig(t, dict(opts)) for t, opts in suites.get(name)())
        else:
            tasks.get(name)  # fail early with the list of known names
            out.append(TaskConfig(name))
    return tuple(out)


def parse_option_value(text: str) -> object:
    """A task option given as text: whole numbers and decimals become numbers, the rest stays text
    (yes/no options are parsed strictly by the task that reads them)."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def apply_task_args(configs: Sequence[TaskConfig], pairs: Sequence[str]) -> tuple[TaskConfig, ...]:
    """`gsm8k.num_fewshot=5` -> option num_fewshot=5 of task gsm8k, which must be part of the run."""
    names = {c.name for c in configs}
    extra: dict[str, dict[str, object]] = {}
    for pair in pairs:
        target, sep, value = pair.partition("=")
        task, dot, key = target.rpartition(".")
        if not sep or not dot or not key:
            raise ConfigError(f"--task-arg expects TASK.KEY=VALUE, got {pair!r}")
        if task not in names:
            raise ConfigError(f"--task-arg {pair!r}: task {task!r} is not part of this run")
        extra.setdefault(task, {})[key] = parse_option_value(value)
    return tuple(TaskConfig(c.name, {**c.options, **extra.get(c.name, {})}) for c in configs)


def parse_key_values(pairs: Sequence[str], what: str) -> dict[str, object]:
    """`KEY=VALUE` pairs (e.g. backend options) -> a mapping; values stay text."""
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"{what} expects KEY=VALUE, got {pair!r}")
        out[key] = value
    return out


def build_task_runs(spec: RunSpec) -> list[TaskRun]:
    """Each configured task built once, with the run's limit, prompt mode and sample ids applied."""
    runs = []
    for config in spec.tasks:
        options = dict(config.options)
        limit = options.pop("limit", None)
        rotate = parse_flag(options.pop("circular", False), f"task {config.name}: circular")
        if spec.limit is not None:
            limit = spec.limit if limit is None else min(int(limit), spec.limit)
        task = _build_task(config.name, options, spec.unsafe_no_sandbox)
        run = TaskRun(
            task=task,
            options=options,
            limit=limit,
            prompt_mode=spec.prompt_mode,
            sample_ids=frozenset(spec.sample_ids) if spec.sample_ids else None,
            order_seed=spec.seed if spec.shuffle else None,
        )
        if rotate or spec.perturb:
            # Rotations and perturbed copies are made of the chosen questions: a limit, sample ids and
            # the seeded order count questions, and an id names the question with all its copies.
            task = ChosenSamples(run)  # type: ignore[assignment]  # a Task by delegation, as wrappers are
            run = TaskRun(task=task, options=options, prompt_mode=spec.prompt_mode)
        if rotate:
            task = circular(task)
        if spec.perturb:
            task = perturbed(task, spec.perturb, spec.seed)
        if spec.toxicity:
            task = with_toxicity(task, spec.toxicity)
        runs.append(dataclasses.replace(run, task=task))
    return runs


@dataclass
class ChosenSamples(TaskWrapper):
    """A task reduced to the samples its run chose, for a wrapper that copies each one."""

    run: TaskRun

    @property
    def inner(self) -> Any:
        return self.run.task

    @property
    def name(self) -> str:
        return str(self.inner.name)

    @property
    def aggregators(self) -> tuple[str, ...]:
        return tuple(getattr(self.inner, "aggregators", ()))

    def __getattr__(self, attr: str) -> Any:
        # executes_code, unsafe_no_sandbox, citation, ...: whatever else the task says of itself
        if attr == "run":
            raise AttributeError(attr)
        return getattr(self.run.task, attr)

    def samples(self) -> Iterator[Sample]:
        return iter(select_samples(self.run))


def _build_task(name: str, options: dict[str, Any], unsafe_no_sandbox: bool) -> Task:
    factory = tasks.get(name)
    if unsafe_no_sandbox and "unsafe_no_sandbox" in inspect.signature(factory).parameters:
        options["unsafe_no_sandbox"] = True
    try:
        task = factory(**options)
    except TypeError as exc:
        raise ConfigError(f"task {name}: bad option ({exc})") from None
    assert isinstance(task, Task)
    check_sandbox(task)
    return task


def check_sandbox(task: Task) -> None:
    """Refuse before any model is asked, not after: a code task needs the sandbox or an explicit opt-out."""
    if not getattr(task, "executes_code", False) or getattr(task, "unsafe_no_sandbox", False):
        return
    problem = sandbox_problem()
    if problem:
        raise ConfigError(
            f"task {task.name} runs model-written code and the sandbox cannot work here: {problem}. "
            "Install bubblewrap, or pass --unsafe-no-sandbox to run the code without isolation "
            "(not recommended; the run record says so)"
        )


def code_execution(task: Task) -> str:
    """What the run record says about model-written code: what will really happen, not the flag."""
    if sandbox_problem() is None:
        return f"bubblewrap sandbox: {isolation()}"
    return "no sandbox (--unsafe-no-sandbox)" if getattr(task, "unsafe_no_sandbox", False) else "refused"


def task_aggregators(task: Task) -> tuple[str, ...]:
    """Run-level metrics for a task: per-group means always, calibration for multiple choice, then
    whatever the task asks for itself (pass@k, bias scores, ...)."""
    names = [*DEFAULT_AGGREGATORS, *(("calibration",) if task.output_type == "multiple_choice" else ())]
    names += [n for n in getattr(task, "aggregators", ()) if n not in names]
    return tuple(names)
