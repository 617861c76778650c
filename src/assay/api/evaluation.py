"""Evaluating models: `evaluate` runs a spec end to end, `rescore` scores stored answers again."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from assay.api.stores import StoreLike, using_store
from assay.api.toxicity import judge_toxicity
from assay.core.errors import ConfigError
from assay.core.spec import PROMPT_MODES, PromptMode, RunSpec, TaskConfig
from assay.engine.holistic import check_energy, check_prices, resolve_perturbations
from assay.engine.run import RunResult
from assay.engine.run import evaluate as run_spec
from assay.engine.scoring import score_run
from assay.engine.spec_file import check_measurement, load_spec_file
from assay.engine.tasks import apply_task_args, build_task_runs, expand_tasks, parse_key_values
from assay.io import read_yaml
from assay.models import default_models
from assay.tasks.toxicity import classifier_model

__all__ = [
    "build_spec",
    "evaluate",
    "load_prices",
    "load_spec",
    "parse_key_values",
    "rescore",
    "task_configs",
]

TaskLike = str | TaskConfig | tuple[str, Mapping[str, Any]]


def task_configs(tasks: Iterable[TaskLike] | str | None) -> tuple[TaskConfig, ...]:
    """Names (tasks, suites, task files), `TaskConfig`s or (name, options) pairs -> configured tasks;
    nothing means the quick suite."""
    if tasks is None:
        return expand_tasks(["quick"])
    if isinstance(tasks, str):
        tasks = [tasks]
    out: list[TaskConfig] = []
    for task in tasks:
        if isinstance(task, TaskConfig):
            out.append(task)
        elif isinstance(task, str):
            out.extend(expand_tasks([task]))
        else:
            name, options = task
            expand_tasks([name])  # an unknown name fails here, with suggestions
            out.append(TaskConfig(name, dict(options)))
    if not out:
        raise ConfigError("no tasks to run")
    return tuple(out)


def build_spec(
    models: Sequence[str] | str | None = None,
    tasks: Iterable[TaskLike] | str | None = None,
    *,
    task_args: Sequence[str] = (),
    limit: int | None = None,
    seed: int = 0,
    prompt_mode: str = "auto",
    model_args: Mapping[str, Any] | None = None,
    sample_ids: Sequence[str] | None = None,
    shuffle: bool = False,
    max_attempts: int = 5,
    timeout: float | None = 600.0,
    unsafe_no_sandbox: bool = False,
    executor: str = "local",
    executor_options: Mapping[str, Any] | None = None,
    until_ci: float | None = None,
    epochs: int = 1,
    epochs_reducer: str = "mean",
    perturb: str | Sequence[str] | None = None,
    toxicity: str | None = None,
    prices: Mapping[str, Mapping[str, float]] | None = None,
    energy: Mapping[str, float] | None = None,
) -> RunSpec:
    """A checked `RunSpec` from keyword arguments (what `evaluate` and `assay run` build)."""
    check_measurement(until_ci, epochs, epochs_reducer)
    if prompt_mode not in PROMPT_MODES:
        raise ConfigError(f"--prompt-mode must be auto, chat or completion, not {prompt_mode!r}")
    if limit is not None and limit < 1:
        raise ConfigError(f"limit must be at least 1, not {limit}")
    if max_attempts < 1:
        raise ConfigError(f"max_attempts must be at least 1, not {max_attempts}")
    names = (models,) if isinstance(models, str) else tuple(models or default_models())
    mode: PromptMode = prompt_mode  # type: ignore[assignment]
    return RunSpec(
        models=names,
        tasks=apply_task_args(task_configs(tasks), task_args),
        limit=limit,
        seed=seed,
        prompt_mode=mode,
        model_args=dict(model_args or {}),
        sample_ids=tuple(sample_ids) if sample_ids else None,
        shuffle=shuffle,
        max_attempts=max_attempts,
        timeout=timeout,
        unsafe_no_sandbox=unsafe_no_sandbox,
        executor=executor,
        executor_options=dict(executor_options or {}),
        until_ci=until_ci,
        epochs=epochs,
        epochs_reducer=epochs_reducer,
        perturb=resolve_perturbations(perturb),
        toxicity=toxicity or None,
        prices=check_prices(prices or {}),
        energy=check_energy(energy or {}),
    )


def load_prices(
    path: str | os.PathLike[str] | None = None,
    *,
    per_1k_input: float | None = None,
    per_1k_output: float | None = None,
) -> dict[str, dict[str, float]]:
    """Per-1,000-token prices: a YAML file `{model or "*": {input: X, output: Y}}`, then the
    prices given for every model ("*") on top."""
    raw: dict[str, Any] = {}
    if path is not None:
        raw = read_yaml(Path(path), what="prices file", error=ConfigError) or {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a mapping of model -> {{input, output}}")
    given = {k: v for k, v in (("input", per_1k_input), ("output", per_1k_output)) if v is not None}
    if given:
        raw["*"] = {**(raw.get("*") or {}), **given}
    return check_prices(raw, str(path or "prices"))


def load_spec(
    path: str | os.PathLike[str],
    *,
    unsafe_no_sandbox: bool = False,
    perturb: str | Sequence[str] | None = None,
    toxicity: str | None = None,
    prices: Mapping[str, Mapping[str, float]] | None = None,
    energy: Mapping[str, float] | None = None,
) -> RunSpec:
    """A YAML run spec, checked field by field (errors name the field and line). Holistic options
    given here (from the command line) replace the file's."""
    spec = load_spec_file(Path(path))
    spec = dataclasses.replace(spec, unsafe_no_sandbox=True) if unsafe_no_sandbox else spec
    given: dict[str, Any] = {}
    if perturb:
        given["perturb"] = resolve_perturbations(perturb)
    if toxicity:
        given["toxicity"] = toxicity
    if prices:
        given["prices"] = check_prices(prices)
    if energy:
        given["energy"] = {**spec.energy, **check_energy(energy)}
    return dataclasses.replace(spec, **given) if given else spec


def evaluate(
    models: Sequence[str] | str | None = None,
    tasks: Iterable[TaskLike] | str | None = None,
    *,
    spec: RunSpec | str | os.PathLike[str] | None = None,
    store: StoreLike = None,
    progress: bool = False,
    **options: Any,
) -> RunResult:
    """Evaluate models on tasks; every answer and score goes to the store.

    >>> result = assay.evaluate(["smollm2-135m"], ["gsm8k"], limit=10, store="results.db")
    >>> assay.results(result, store="results.db")        # a pandas DataFrame, one row per sample

    `models`: built-in names (`smollm2-135m`, `qwen2.5-coder-0.5b`), `openai:NAME` (with
    `model_args={"base_url": ...}`), `llama.cpp:/path.gguf`, `hf:/dir`, or a plugin's `backend:target`.
    `tasks`: task, suite or task-file names, `TaskConfig`s or (name, options) pairs (default: the
    quick suite). `spec`: a `RunSpec` or a YAML run-spec path instead of models/tasks. Other options:
    limit, shuffle (with a limit: a random subset drawn with the seed, not the first samples), seed,
    prompt_mode (auto | chat | completion), model_args, task_args (`TASK.KEY=VALUE`), sample_ids,
    max_attempts, timeout, unsafe_no_sandbox, executor (local | ray), executor_options.
    `until_ci=0.1` samples each task in a seeded random order until every model's 95% interval (an
    anytime-valid confidence sequence) is narrower than 0.1; `epochs=5` asks each sample 5 times
    (sampled generation), reduced per sample by `epochs_reducer` (mean, majority or pass@K).
    holistic (docs/holistic.md): perturb ("robustness", "fairness" or names), toxicity ("rules" or a
    model), prices ({model or "*": {"input": X, "output": Y}} per 1,000 tokens), energy
    ({"watts_per_core": W, "grid_g_per_kwh": G}).
    Running the same call again sends no request whose answer is stored (a killed run resumes).
    """
    if spec is not None:
        if models is not None or tasks is not None:
            raise ConfigError("give either a spec or models/tasks, not both")
        run = spec if isinstance(spec, RunSpec) else load_spec(spec)
        if options.pop("unsafe_no_sandbox", False):
            run = dataclasses.replace(run, unsafe_no_sandbox=True)
        if options:
            raise ConfigError(f"with a spec, {sorted(options)[0]!r} belongs in the spec")
    else:
        run = build_spec(models, tasks, **options)
    if run.toxicity:
        classifier_model(run.toxicity)  # a malformed classifier fails before any model is loaded
    with using_store(store) as opened:
        result = run_spec(run, opened, show_progress=progress)
        if run.toxicity:
            judge_toxicity(
                opened, result.run_id, run.toxicity, model_args=run.model_args, show_progress=progress
            )
        return result


def rescore(run: str | RunResult = "latest", *, store: StoreLike = None) -> int:
    """Score a run's stored answers again with the tasks' current scorers (no model is asked);
    returns how many units were scored."""
    with using_store(store) as opened:
        record = opened.get_run(run.run_id if isinstance(run, RunResult) else run)
        if record.plan.kind != "eval":
            raise ConfigError(
                f"run {record.id} holds {record.plan.kind} calls, not an evaluation: nothing to re-score"
            )
        runs = build_task_runs(record.spec)
        return score_run(opened, record.id, {r.task.name: r.task for r in runs}, rescore=True)
