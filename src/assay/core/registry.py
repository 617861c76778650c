"""One registry pattern for models, tasks, metrics and judges: a decorator and a name.

A user adds an entry from their own package (`@tasks.register("my-task")`) without editing ours.
Registries fill themselves: the first lookup runs the loader that `assay.plugins` installs (the
built-ins and every `assay.plugins` entry point), so no caller imports a module for its side effects.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from assay.core.errors import UnknownNameError

T = TypeVar("T")

_loader: Callable[[], None] | None = None
_loaded = False


def _no_hint() -> str:
    return ""


_miss_hint: Callable[[], str] = _no_hint


def set_miss_hint(hint: Callable[[], str]) -> None:
    """Extra words for an "unknown name" error, e.g. which plugins failed to load."""
    global _miss_hint
    _miss_hint = hint


def set_loader(loader: Callable[[], None]) -> None:
    """The function that fills every registry; it runs once, before the first lookup."""
    global _loader, _loaded
    _loader, _loaded = loader, False


def ensure_loaded() -> None:
    global _loaded
    if not _loaded and _loader is not None:
        _loaded = True  # first: loading registers entries, and a registration must not load again
        _loader()


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
        if name not in self._entries:
            ensure_loaded()
        try:
            return self._entries[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self._entries), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            known = ", ".join(sorted(self._entries)) or "none"
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}{hint} (known: {known}){_miss_hint()}"
            ) from None

    def __contains__(self, name: object) -> bool:
        if name not in self._entries:
            ensure_loaded()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def names(self) -> list[str]:
        ensure_loaded()
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
# Executors: name -> factory(**options) -> an engine Executor (local asyncio, Ray, ...)
executors: Registry[Callable[..., object]] = Registry("executor")
# Perturbations of a sample's text (typos, dialect, ...): name -> a Perturbation (assay.tasks.perturb)
perturbations: Registry[object] = Registry("perturbation")
# Judges: name -> factory(model, templates, **options) -> a judge (LLM, length baseline, ...)
judges: Registry[Callable[..., object]] = Registry("judge")
