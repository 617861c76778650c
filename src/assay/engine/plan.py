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


def with_seed(request: Request, seed: int | None, sample_id: str = "") -> Request:
    """The run's seed on every generation; when sampling (temperature > 0) each sample gets its own
    seed derived from the run seed and its id, so n samples of one problem are n different draws."""
    if not isinstance(request, GenerateRequest):
        return request
    if seed is not None and request.params.temperature > 0:
        digest = hashlib.sha256(f"{seed}:{sample_id}".encode()).digest()
        seed = int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
    return dataclasses.replace(request, params=dataclasses.replace(request.params, seed=seed))


def select_samples(run: TaskRun) -> list[Sample]:
    samples = run.task.samples()
    if run.sample_ids is not None:
        chosen = [s for s in samples if s.id in run.sample_ids]
        missing = run.sample_ids - {s.id for s in chosen}
        if missing:
            raise ConfigError(f"task {run.task.name}: no sample with id {', '.join(sorted(missing)[:5])}")
        return chosen[: run.limit] if run.limit is not None else chosen
    return list(itertools.islice(samples, run.limit))


def plan(models: Sequence[Model], runs: Sequence[TaskRun], *, seed: int | None = 0) -> list[WorkUnit]:
    """Every (model, task, sample) once, in a deterministic order; identical units share a key."""
    units: list[WorkUnit] = []
    seen: set[str] = set()
    for run in runs:
        samples = select_samples(run)
        chat = run.uses_chat()
        requests = [with_seed(run.task.build_request(s, chat=chat), seed, s.id) for s in samples]
        for model in models:
            for sample, request in zip(samples, requests, strict=True):
                key = unit_key(
                    model_identity=model.identity,
                    task_name=run.task.name,
                    task_version=run.task.version,
                    sample_id=sample.id,
                    request=to_jsonable(request),
                    seed=seed,
                    perturbation=perturbation_of(sample),
                )
                if key in seen:
                    continue
                seen.add(key)
                units.append(
                    WorkUnit(
                        key=key,
                        model_name=model.name,
                        model=model,
                        task_name=run.task.name,
                        task_version=run.task.version,
                        sample=sample,
                        request=request,
                    )
                )
    return units
