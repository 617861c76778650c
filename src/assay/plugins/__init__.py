"""One loader fills every registry: the built-in modules first, then every `assay.plugins` entry point.

A third-party package adds a model backend, a task, a metric, an aggregator or a judge by declaring

    [project.entry-points."assay.plugins"]
    mine = "my_package.assay_plugin"      # a module whose import registers entries,
    other = "my_package:register"         # or a function called with no arguments

Importing this package installs the loader into `assay.core.registry`; it runs once, at the first
registry lookup. A plugin that fails to load does not stop assay: the failure is kept (`failures()`)
and named when a lookup misses, so "unknown task" never hides a broken plugin.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from dataclasses import dataclass

from assay.core import registry

ENTRY_POINT_GROUP = "assay.plugins"

# Modules whose import registers assay's own entries (kept as names: the loader sits below them).
BUILTIN_MODULES = (
    "assay.metrics",
    "assay.models.llamacpp",
    "assay.models.openai_compat",
    "assay.models.hf_transformers",
    "assay.models.zoo",
    "assay.tasks",
    "assay.safety.classifier",
    "assay.safety.refusals",
    "assay.judge.judges",
    "assay.contamination.mink",
    "assay.engine.executors.ray",
)


@dataclass(frozen=True)
class PluginFailure:
    name: str  # the entry point's name, or a built-in module
    target: str
    error: str


@dataclass(frozen=True)
class LoadedPlugin:
    name: str
    target: str
    distribution: str | None


_failures: list[PluginFailure] = []
_loaded: list[LoadedPlugin] = []


def load_all() -> None:
    """Import the built-ins and load every entry point of the group; remember what failed."""
    for module in BUILTIN_MODULES:
        try:
            importlib.import_module(module)
        except ImportError as exc:  # an optional backend whose libraries are absent
            _failures.append(PluginFailure(module, module, _first_line(exc)))
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = entry.dist.name if entry.dist is not None else None
        try:
            target = entry.load()
            if callable(target):
                target()
        except Exception as exc:  # a third party's bug must not stop assay; it is reported instead
            _failures.append(PluginFailure(entry.name, entry.value, _first_line(exc)))
            continue
        _loaded.append(LoadedPlugin(entry.name, entry.value, dist))


def failures() -> list[PluginFailure]:
    registry.ensure_loaded()
    return list(_failures)


def loaded() -> list[LoadedPlugin]:
    """Third-party plugins that loaded (the built-ins are not listed)."""
    registry.ensure_loaded()
    return list(_loaded)


def failure_hint() -> str:
    """A sentence naming the plugins that failed to load, for "unknown name" errors; empty if none."""
    broken = [f for f in _failures if not f.name.startswith("assay.")]
    if not broken:
        return ""
    named = "; ".join(f"{f.name} ({f.target}): {f.error}" for f in broken[:3])
    return f" (plugins that failed to load: {named})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


registry.set_loader(load_all)
registry.set_miss_hint(failure_hint)
