"""CircularEval (OpenCompass; Liu et al., 2023, MMBench, arXiv:2307.06281): ask each multiple-choice
question once per rotation of its options and count it right only if every rotation is right.

A wrapper around any multiple-choice task whose requests are built from `Sample.choices` (which
all of ours are); turned on per task with the option `circular=true`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from assay.core.errors import ConfigError
from assay.core.protocols import Task
from assay.core.types import Sample
from assay.tasks.wrapped import TaskWrapper


def rotations(sample: Sample) -> list[Sample]:
    """n copies of an n-option sample, options shifted by 0..n-1, the answer index moved along."""
    if not sample.choices or sample.answer_index is None:
        return [sample]
    n = len(sample.choices)
    # The rotations of one question succeed or fail together, so they are one cluster at least.
    cluster = () if any(k == "cluster" for k, _ in sample.metadata) else (("cluster", sample.id),)
    out = []
    for shift in range(n):
        choices = sample.choices[shift:] + sample.choices[:shift]
        out.append(
            dataclasses.replace(
                sample,
                id=f"{sample.id}@r{shift}",
                choices=choices,
                answer_index=(sample.answer_index - shift) % n,
                metadata=(*sample.metadata, *cluster, ("circular_of", sample.id), ("rotation", shift)),
            )
        )
    return out


@dataclass
class CircularTask(TaskWrapper):
    inner: Any

    def __post_init__(self) -> None:
        if not getattr(self.inner, "metric_names", None) or "acc" not in self.inner.metric_names:
            raise ConfigError(
                f"task {self.inner.name}: circular=true needs a multiple-choice task (one that reports acc)"
            )

    @property
    def name(self) -> str:
        return f"{self.inner.name}:circular"

    @property
    def aggregators(self) -> tuple[str, ...]:
        return (*getattr(self.inner, "aggregators", ()), "circular")

    def samples(self) -> Iterator[Sample]:
        for sample in self.inner.samples():
            yield from rotations(sample)


def circular(task: Task) -> Task:
    wrapped: Task = CircularTask(task)  # type: ignore[assignment]
    return wrapped
