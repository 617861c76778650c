"""What a user asks to run (`RunSpec`) and what planning decided about it (`RunPlan`).

Both are recorded with every run and read back typed, so no package reads the run record by string
keys. `from_json` accepts every layout assay has written, so older stores stay readable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

PromptMode = Literal["auto", "chat", "completion"]
PROMPT_MODES: tuple[PromptMode, ...] = ("auto", "chat", "completion")


@dataclass(frozen=True)
class TaskConfig:
    """One task of a run, by registry name, with its options (`num_fewshot`, `path`, `limit`, ...)."""

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> list[Any]:
        return [self.name, dict(self.options)]

    @classmethod
    def from_json(cls, data: Any) -> TaskConfig:
        if isinstance(data, str):
            return cls(data)
        if isinstance(data, Mapping):
            return cls(str(data.get("name")), dict(data.get("options", {})))
        name, options = data
        return cls(str(name), dict(options or {}))


@dataclass(frozen=True)
class RunSpec:
    """Everything a user chose for one evaluation; recorded with the run."""

    models: tuple[str, ...]
    tasks: tuple[TaskConfig, ...]
    limit: int | None = None
    seed: int = 0
    prompt_mode: PromptMode = "auto"
    model_args: Mapping[str, Any] = field(default_factory=dict)
    sample_ids: tuple[str, ...] | None = None
    shuffle: bool = False  # with a limit: a seeded random subset of each task, not its first samples
    max_attempts: int = 5
    timeout: float | None = 600.0
    unsafe_no_sandbox: bool = False  # run model-written code without isolation (recorded with the run)
    executor: str = "local"  # local | ray
    executor_options: Mapping[str, Any] = field(default_factory=dict)  # e.g. {"address": "auto"}
    # Adaptive evaluation: sample each task in a seeded random order until every model's 95% interval
    # (an anytime-valid confidence sequence) is narrower than this; None samples everything.
    until_ci: float | None = None
    epochs: int = 1  # sampled generation: each sample asked this many times, with distinct seeds
    epochs_reducer: str = "mean"  # mean | majority | pass@K: an item's epochs -> its one score
    # Holistic evaluation (issue 20): perturbation names (sets already expanded), a toxicity
    # classifier ("rules" or a model), per-1k-token prices per model ("*" for any) and the
    # energy estimate's parameters (watts_per_core, grid_g_per_kwh).
    perturb: tuple[str, ...] = ()
    toxicity: str | None = None
    prices: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    energy: Mapping[str, float] = field(default_factory=dict)

    @property
    def task_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tasks)

    def to_json(self) -> dict[str, Any]:
        return {
            "models": list(self.models),
            "tasks": [t.to_json() for t in self.tasks],
            "limit": self.limit,
            "seed": self.seed,
            "prompt_mode": self.prompt_mode,
            "model_args": dict(self.model_args),
            "sample_ids": list(self.sample_ids) if self.sample_ids is not None else None,
            **({"shuffle": True} if self.shuffle else {}),  # absent when off: older records read the same
            "max_attempts": self.max_attempts,
            "timeout": self.timeout,
            "unsafe_no_sandbox": self.unsafe_no_sandbox,
            "executor": self.executor,
            "executor_options": dict(self.executor_options),
            **self._measurement_json(),
            "perturb": list(self.perturb),
            "toxicity": self.toxicity,
            "prices": {k: dict(v) for k, v in self.prices.items()},
            "energy": dict(self.energy),
        }

    def _measurement_json(self) -> dict[str, Any]:
        """Adaptive and repeat settings, written only when set, so older records read the same."""
        out: dict[str, Any] = {}
        if self.until_ci is not None:
            out["until_ci"] = self.until_ci
        if self.epochs != 1 or self.epochs_reducer != "mean":
            out.update(epochs=self.epochs, epochs_reducer=self.epochs_reducer)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunSpec:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known and v is not None}
        values["models"] = tuple(str(m) for m in data.get("models") or ())
        values["tasks"] = tuple(TaskConfig.from_json(t) for t in data.get("tasks") or ())
        if data.get("sample_ids") is not None:
            values["sample_ids"] = tuple(str(s) for s in data["sample_ids"])
        if "timeout" in data:
            values["timeout"] = data["timeout"]
        values["perturb"] = tuple(str(p) for p in data.get("perturb") or ())
        return cls(**values)


@dataclass(frozen=True)
class RunPlan:
    """What planning decided for a run: how each task was prompted, what it reports, who answered."""

    prompt_modes: Mapping[str, str] = field(default_factory=dict)  # task -> chat | completion
    # task -> its declared metric names, headline first
    task_metrics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    task_aggregators: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    model_identities: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    code_execution: Mapping[str, str] = field(default_factory=dict)  # task -> what ran the code
    kind: str = "eval"  # eval | judge | ... : what made the run

    def headline(self, task: str) -> str | None:
        metrics = self.task_metrics.get(task)
        return metrics[0] if metrics else None

    def to_json(self) -> dict[str, Any]:
        return {
            "prompt_modes": dict(self.prompt_modes),
            "task_metrics": {k: list(v) for k, v in self.task_metrics.items()},
            "task_aggregators": {k: list(v) for k, v in self.task_aggregators.items()},
            "model_identities": {k: dict(v) for k, v in self.model_identities.items()},
            "code_execution": dict(self.code_execution),
            "kind": self.kind,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunPlan:
        def names(key: str) -> dict[str, tuple[str, ...]]:
            return {str(k): tuple(v) for k, v in (data.get(key) or {}).items()}

        return cls(
            prompt_modes=dict(data.get("prompt_modes") or {}),
            task_metrics=names("task_metrics"),
            task_aggregators=names("task_aggregators"),
            model_identities=dict(data.get("model_identities") or {}),
            code_execution=dict(data.get("code_execution") or {}),
            kind=str(data.get("kind") or "eval"),
        )


@dataclass(frozen=True)
class RunSummary:
    """Counts written when a run ends."""

    planned: int = 0
    cached: int = 0
    sent: int = 0  # requests sent to models, retries included
    answered: int = 0
    errors: int = 0
    tokens_evaluated: int = 0
    scored: int = 0
    executor: str = "local"
    workers: int = 1
    scored_remotely: int = 0  # answers scored on the executor's workers (code run on cluster nodes)
    startup_s: float = 0.0  # starting the executor's workers until each had its model ready
    # An adaptive run's outcome: the stopping rule, the width, the seed, and per task how many samples
    # were used of how many and each model's final interval (empty for other runs).
    adaptive: Mapping[str, Any] = field(default_factory=dict)
    # Energy and emissions of the run itself (docs/holistic.md): how it was obtained, and per model
    energy_j: float = 0.0
    energy_method: str = ""
    co2e_g: float = 0.0
    grid_g_per_kwh: float = 0.0
    cpu_s: float = 0.0
    energy_by_model: Mapping[str, float] = field(default_factory=dict)  # joules, split by request time

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["energy_by_model"] = dict(self.energy_by_model)
        if not self.adaptive:
            del out["adaptive"]  # older records and plain runs look the same
        else:
            out["adaptive"] = dict(self.adaptive)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunSummary:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known and v is not None})
