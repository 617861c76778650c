"""Run specs from YAML files, validated field by field with errors that name the field.

models: [smollm2-135m, "openai:my-model"]
model_args: {base_url: "http://127.0.0.1:8000/v1"}
tasks:
  - gsm8k                          # a task or suite name
  - {name: gsm8k, num_fewshot: 5, limit: 50}
limit: 100
shuffle: true                      # with limit: a random subset drawn with the seed, not the first 100
seed: 0
prompt_mode: auto                  # auto | chat | completion
executor: local                    # local | ray
executor_options: {address: auto}  # for ray: the cluster address (none starts a local Ray)
until_ci: 0.1                      # adaptive: stop a task when every 95% interval is narrower
epochs: 5                          # sampled generation: ask each sample 5 times
epochs_reducer: majority           # mean | majority | pass@K
perturb: robustness                # robustness | fairness | names, comma-separated or a list
toxicity: rules                    # rules | a model through the safety policies
prices: {"*": {input: 0.5, output: 1.5}}   # per 1,000 tokens, per model name or "*"
energy: {watts_per_core: 12, grid_g_per_kwh: 480}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.core.errors import ConfigError
from assay.core.spec import PROMPT_MODES, RunSpec, TaskConfig
from assay.engine.holistic import check_energy, check_prices, resolve_perturbations
from assay.engine.tasks import expand_tasks
from assay.io import read_yaml
from assay.metrics.reducers import check_reducer

_ALLOWED = {
    "models",
    "model_args",
    "tasks",
    "limit",
    "seed",
    "prompt_mode",
    "sample_ids",
    "shuffle",
    "max_attempts",
    "timeout",
    "unsafe_no_sandbox",
    "executor",
    "executor_options",
    "until_ci",
    "epochs",
    "epochs_reducer",
    "perturb",
    "toxicity",
    "prices",
    "energy",
}


def load_spec_file(path: Path) -> RunSpec:
    raw = read_yaml(path, what="run spec", error=ConfigError)
    return spec_from_mapping(raw, str(path))


def _expect(value: Any, kind: type | tuple[type, ...], where: str, what: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ConfigError(f"{where}: expected {what}, got {type(value).__name__} {value!r}")
    return value


def _tasks(raw: Any, where: str) -> tuple[TaskConfig, ...]:
    _expect(raw, list, f"{where}: tasks", "a list of task names or {name: ..., options}")
    out: list[TaskConfig] = []
    for i, entry in enumerate(raw):
        field = f"{where}: tasks[{i}]"
        if isinstance(entry, str):
            out.extend(expand_tasks([entry]))
            continue
        _expect(entry, dict, field, "a task name or a mapping with 'name'")
        options = dict(entry)
        name = _expect(options.pop("name", None), str, f"{field}.name", "a task name")
        expand_tasks([name])
        out.append(TaskConfig(name, options))
    if not out:
        raise ConfigError(f"{where}: tasks: the list is empty")
    return tuple(out)


def spec_from_mapping(raw: Any, where: str) -> RunSpec:
    _expect(raw, dict, where, "a mapping with models and tasks")
    unknown = set(raw) - _ALLOWED
    if unknown:
        raise ConfigError(
            f"{where}: unknown field {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(_ALLOWED))})"
        )
    models = _expect(raw.get("models"), list, f"{where}: models", "a list of model names")
    for i, name in enumerate(models):
        _expect(name, str, f"{where}: models[{i}]", "a model name")
    mode = raw.get("prompt_mode", "auto")
    if mode not in PROMPT_MODES:
        raise ConfigError(f"{where}: prompt_mode: expected auto, chat or completion, got {mode!r}")
    limit = raw.get("limit")
    if limit is not None and (_expect(limit, int, f"{where}: limit", "a positive integer") < 1):
        raise ConfigError(f"{where}: limit: expected a positive integer, got {limit}")
    sample_ids = raw.get("sample_ids")
    if sample_ids is not None:
        _expect(sample_ids, list, f"{where}: sample_ids", "a list of sample ids")
    return RunSpec(
        models=tuple(models),
        tasks=_tasks(raw.get("tasks"), where),
        limit=limit,
        seed=_expect(raw.get("seed", 0), int, f"{where}: seed", "an integer"),
        prompt_mode=mode,
        model_args=_expect(raw.get("model_args", {}), dict, f"{where}: model_args", "a mapping"),
        sample_ids=tuple(str(s) for s in sample_ids) if sample_ids else None,
        shuffle=_expect(raw.get("shuffle", False), bool, f"{where}: shuffle", "true or false"),
        max_attempts=_expect(raw.get("max_attempts", 5), int, f"{where}: max_attempts", "an integer"),
        timeout=float(_expect(raw.get("timeout", 600.0), (int, float), f"{where}: timeout", "seconds")),
        unsafe_no_sandbox=_expect(
            raw.get("unsafe_no_sandbox", False), bool, f"{where}: unsafe_no_sandbox", "true or false"
        ),
        executor=_expect(raw.get("executor", "local"), str, f"{where}: executor", "an executor name"),
        executor_options=_expect(
            raw.get("executor_options", {}), dict, f"{where}: executor_options", "a mapping"
        ),
        **holistic_fields(raw, where),
        **_measurement(raw, where),
    )


def _measurement(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """until_ci, epochs and epochs_reducer, each checked, the errors naming the field."""
    until_ci = raw.get("until_ci")
    if until_ci is not None:
        until_ci = float(_expect(until_ci, (int, float), f"{where}: until_ci", "an interval width"))
    epochs = _expect(raw.get("epochs", 1), int, f"{where}: epochs", "a whole number of repeats")
    reducer = _expect(raw.get("epochs_reducer", "mean"), str, f"{where}: epochs_reducer", "a reducer")
    try:
        check_measurement(until_ci, epochs, reducer)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return {"until_ci": until_ci, "epochs": epochs, "epochs_reducer": reducer}


def check_measurement(until_ci: float | None, epochs: int, epochs_reducer: str) -> None:
    """The adaptive width and the repeats, checked once for every front door."""
    if until_ci is not None and not 0.0 < until_ci < 1.0:
        raise ConfigError(f"until_ci must be an interval width between 0 and 1, not {until_ci}")
    if epochs < 1:
        raise ConfigError(f"epochs must be at least 1, not {epochs}")
    try:
        check_reducer(epochs_reducer, epochs)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def holistic_fields(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """perturb, toxicity, prices and energy of a YAML spec, checked."""
    perturb = raw.get("perturb")
    if perturb is not None:
        _expect(perturb, (str, list), f"{where}: perturb", "robustness, fairness or perturbation names")
    toxicity = raw.get("toxicity")
    if toxicity is not None:
        _expect(toxicity, str, f"{where}: toxicity", "rules or a model name")
    return {
        "perturb": resolve_perturbations(perturb, f"{where}: perturb"),
        "toxicity": toxicity,
        "prices": check_prices(_expect(raw.get("prices", {}), dict, f"{where}: prices", "a mapping"), where),
        "energy": check_energy(_expect(raw.get("energy", {}), dict, f"{where}: energy", "a mapping"), where),
    }
