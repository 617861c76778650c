"""One registry pattern for models, tasks, metrics and judges: a decorator and a name.

A user adds an entry from their own package (`@tasks.register("my-task")`) without editing ours.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from assay.core.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorate(entry: T) -> T:
            self.add(name, entry)
            return entry

        return decorate

    def add(self, name: str, entry: T, *, replace: bool = False) -> None:
        if name in self._entries and not replace:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = entry

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self._entries), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            known = ", ".join(sorted(self._entries)) or "none"
            raise UnknownNameError(f"unknown {self.kind} {name!r}{hint} (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def names(self) -> list[str]:
        return sorted(self._entries)


# Model backends: name -> factory(ModelSpec) -> Model
model_backends: Registry[Callable[..., object]] = Registry("model backend")
# Built-in model aliases (e.g. "smollm2-135m"): name -> ModelSpec factory
model_aliases: Registry[Callable[..., object]] = Registry("model")
# Tasks: name -> factory(**options) -> Task
tasks: Registry[Callable[..., object]] = Registry("task")
# Suites: name -> list of (task name, options)
suites: Registry[Callable[[], list[tuple[str, dict[str, object]]]]] = Registry("suite")
# Metrics: name -> pure function
metrics: Registry[Callable[..., float]] = Registry("metric")
# Run-level metrics over every scored sample of one (model, task), e.g. pass@k, calibration error,
# per-subject means: name -> fn(items: Sequence[tuple[Sample, Score]]) -> {metric: value}.
# A task lists the ones it wants in an optional `aggregators: tuple[str, ...]` attribute.
aggregators: Registry[Callable[..., dict[str, float]]] = Registry("aggregator")
