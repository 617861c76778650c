"""Planning: models x tasks x samples -> work units with stable content keys. No I/O to models here."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from assay.core.errors import ConfigError
from assay.core.keys import unit_key
from assay.core.protocols import Model, Task
from assay.core.types import GenerateRequest, Request, Sample, to_jsonable
from assay.store import UnitRecord
from assay.tasks.perturb import perturbation_of

PromptMode = Literal["auto", "chat", "completion"]


@dataclass(frozen=True)
class TaskRun:
    """A task as configured for one run."""

    task: Task
    options: dict[str, Any] = field(default_factory=dict)
    limit: int | None = None
    sample_ids: frozenset[str] | None = None
    prompt_mode: PromptMode = "auto"
    order_seed: int | None = None  # None: the task's own order; a seed: a seeded random order

    def uses_chat(self) -> bool:
        # Generation defaults to the model's chat template; log-likelihood scoring reads raw text
        # unless chat is asked for explicitly (then the backend renders the template to score after).
        if self.task.output_type != "generate":
            return self.prompt_mode == "chat"
        return self.prompt_mode != "completion"


@dataclass(frozen=True)
class WorkUnit:
    """One request of one model for one sample, under its content key."""

    key: str
    model_name: str
    model: Model
    task_name: str
    task_version: str
    sample: Sample
    request: Request
    epoch: int = 0  # which repeat of the sample (--epochs); 0 for runs without repeats


def with_seed(request: Request, seed: int | None, sample_id: str = "", epoch: int = 0) -> Request:
    """The run's seed on every generation; when sampling (temperature > 0) each sample gets its own
    seed derived from the run seed and its id, so n samples of one problem are n different draws, and
    each repeat (epoch) of a sample its own too (epoch 0 keeps the seed it had before repeats)."""
    if not isinstance(request, GenerateRequest):
        return request
    if seed is not None and request.params.temperature > 0:
        tag = f"{seed}:{sample_id}" + (f":{epoch}" if epoch else "")
        digest = hashlib.sha256(tag.encode()).digest()
        seed = int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
    return dataclasses.replace(request, params=dataclasses.replace(request.params, seed=seed))


def select_samples(run: TaskRun) -> list[Sample]:
    """The samples a run asks: those named by id (all, if none are named), in the task's order or a
    seeded random one, at most `limit` of them."""
    samples = run.task.samples()
    if run.sample_ids is not None:
        chosen = [s for s in samples if s.id in run.sample_ids]
        missing = run.sample_ids - {s.id for s in chosen}
        if missing:
            raise ConfigError(f"task {run.task.name}: no sample with id {', '.join(sorted(missing)[:5])}")
    elif run.order_seed is None:
        return list(itertools.islice(samples, run.limit))
    else:
        chosen = list(samples)
    if run.order_seed is not None:
        tag = f"{run.order_seed}:{run.task.name}"
        chosen.sort(key=lambda s: hashlib.sha256(f"{tag}:{s.id}".encode()).digest())
    return chosen[: run.limit] if run.limit is not None else chosen


def adaptive_order(run: TaskRun, seed: int) -> list[Sample]:
    """The task's samples in a seeded random order, for adaptive evaluation: a random order makes the
    first n samples a random subset of the task, whatever order its file is in (sorted by difficulty,
    say). Each sample's place comes from a hash of its id, so the order is the same on every machine
    and run (and the same as `--shuffle` takes); `limit` then caps how many an adaptive run may use."""
    return select_samples(dataclasses.replace(run, order_seed=seed))


def check_epochs(run: TaskRun, epochs: int) -> None:
    """Repeats only make sense where an answer is drawn at random: refuse them otherwise, up front."""
    if epochs <= 1:
        return
    first = next(iter(run.task.samples()), None)
    request = run.task.build_request(first, chat=run.uses_chat()) if first is not None else None
    if not isinstance(request, GenerateRequest) or request.params.temperature <= 0:
        raise ConfigError(
            f"--epochs {epochs}: task {run.task.name} does not sample (log-likelihood or temperature 0), "
            "so every repeat would give the same answer; use a task with temperature > 0"
        )


def plan(
    models: Sequence[Model],
    runs: Sequence[TaskRun],
    *,
    seed: int | None = 0,
    epochs: int = 1,
    samples: dict[str, list[Sample]] | None = None,
) -> list[WorkUnit]:
    """Every (model, task, sample, epoch) once, in a deterministic order; identical units share a key.
    `samples` gives a task's samples (in order) instead of `select_samples` (adaptive runs)."""
    units: list[WorkUnit] = []
    seen: set[str] = set()
    for run in runs:
        chosen = samples[run.task.name] if samples is not None else select_samples(run)
        chat = run.uses_chat()
        built = [run.task.build_request(s, chat=chat) for s in chosen]
        for model in models:
            for sample, request in zip(chosen, built, strict=True):
                for epoch in range(epochs):
                    unit = _unit(model, run, sample, with_seed(request, seed, sample.id, epoch), seed, epoch)
                    if unit.key not in seen:
                        seen.add(unit.key)
                        units.append(unit)
    return units


def _unit(
    model: Model, run: TaskRun, sample: Sample, request: Request, seed: int | None, epoch: int
) -> WorkUnit:
    key = unit_key(
        model_identity=model.identity,
        task_name=run.task.name,
        task_version=run.task.version,
        sample_id=sample.id,
        request=to_jsonable(request),
        seed=seed,
        epoch=epoch,
        perturbation=perturbation_of(sample),
    )
    return WorkUnit(
        key=key,
        model_name=model.name,
        model=model,
        task_name=run.task.name,
        task_version=run.task.version,
        sample=sample,
        request=request,
        epoch=epoch,
    )


def unit_record(unit: WorkUnit) -> UnitRecord:
    """How a planned unit is stored (its model, task, sample and request under its key)."""
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
