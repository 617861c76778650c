"""A task asked again under perturbations: each sample once as it is, then once per perturbation.

The task keeps its name, so the original samples keep their unit keys (a perturbed run reuses a plain
run's answers) and only the perturbed copies are new work. A perturbed copy has the id
`ID~NAME`, the perturbed input, the same target and options, and metadata saying what it came from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assay.core.protocols import Task
from assay.core.types import Sample
from assay.tasks.perturb.base import get_perturbation
from assay.tasks.wrapped import TaskWrapper

SEPARATOR = "~"


def perturbed_copies(sample: Sample, names: Sequence[str], seed: int) -> list[Sample]:
    """The sample under each perturbation that changed its text. A copy identical to the original
    would be the same request again (HELM's cache answers it from the original's): it is not asked,
    and the worst case counts the original's score for it."""
    out = []
    for name in names:
        perturbation = get_perturbation(name)
        text = perturbation(sample.input, seed, sample.id)
        if text == sample.input:
            continue
        out.append(
            dataclasses.replace(
                sample,
                id=f"{sample.id}{SEPARATOR}{name}",
                input=text,
                metadata=(
                    *sample.metadata,
                    ("perturbation", name),
                    ("perturbation_group", perturbation.group),
                    ("perturbed_from", sample.id),
                    ("original_input", sample.input),
                ),
            )
        )
    return out


def perturbation_of(sample: Mapping[str, Any] | Sample) -> str | None:
    """The perturbation a stored or live sample went through, None for an original."""
    metadata = sample.metadata if isinstance(sample, Sample) else sample.get("metadata") or ()
    value = dict((k, v) for k, v in metadata).get("perturbation")
    return str(value) if value is not None else None


@dataclass
class PerturbedTask(TaskWrapper):
    inner: Any
    perturbations: tuple[str, ...]
    seed: int = 0

    @property
    def name(self) -> str:
        return str(self.inner.name)

    @property
    def aggregators(self) -> tuple[str, ...]:
        return (*getattr(self.inner, "aggregators", ()), "perturbation")

    def __getattr__(self, attr: str) -> Any:
        # executes_code, unsafe_no_sandbox, citation, ...: whatever else the task says of itself
        if attr == "inner":
            raise AttributeError(attr)
        return getattr(self.inner, attr)

    def samples(self) -> Iterator[Sample]:
        for sample in self.inner.samples():
            yield sample
            yield from perturbed_copies(sample, self.perturbations, self.seed)


def perturbed(task: Task, names: Sequence[str], seed: int) -> Task:
    wrapped: Task = PerturbedTask(task, tuple(names), seed)  # type: ignore[assignment]
    return wrapped
