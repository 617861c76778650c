"""What assay knows: models, backends, executors, plugins (filled by the plugin loader)."""

from __future__ import annotations

import inspect
from typing import Any

from assay import plugins
from assay.core.registry import model_aliases, model_backends, suites, tasks
from assay.metrics.power import minimum_detectable_effect
from assay.tasks.spec import is_spec_path, load_task_spec


def model_names() -> dict[str, list[str]]:
    """Built-in model names and the backends a model name can start with (`openai:`, plugins' own)."""
    return {"built_in": model_aliases.names(), "backends": model_backends.names()}


def plugin_status() -> dict[str, list[dict[str, str | None]]]:
    """Third-party plugins that loaded, and every plugin (or optional backend) that failed to."""
    return {
        "loaded": [
            {"name": p.name, "target": p.target, "distribution": p.distribution} for p in plugins.loaded()
        ],
        "failed": [{"name": f.name, "target": f.target, "error": f.error} for f in plugins.failures()],
    }


def task_names() -> dict[str, list[str]]:
    """Every registered task and suite (built-ins and plugins)."""
    return {"tasks": tasks.names(), "suites": suites.names()}


def task_card(name: str) -> dict[str, Any]:
    """A task's card: version, output type, metrics, citation, options. Building it loads no data,
    except for task files (they are validated, rows included)."""
    if name in suites:
        return {
            "name": name,
            "kind": "suite",
            "tasks": [{"task": t, "options": o} for t, o in suites.get(name)()],
        }
    if is_spec_path(name):
        return _task_file_card(name)
    factory = tasks.get(name)
    options = {
        p.name: (None if p.default is inspect.Parameter.empty else p.default)
        for p in inspect.signature(factory).parameters.values()
    }
    card: dict[str, Any] = {
        "name": name,
        "kind": "task",
        "options": options,
        "description": (inspect.getdoc(factory) or "").split("\n\n")[0],
    }
    try:
        task = factory()  # most tasks build without data; the ones needing a path say so
    except Exception as exc:  # a task that needs options cannot describe more of itself
        card["note"] = f"needs options to build: {str(exc).splitlines()[0] if str(exc) else exc}"
        return card
    for attr in ("version", "output_type", "metric_names", "citation", "cluster"):
        if getattr(task, attr, None) is not None:
            card[attr] = getattr(task, attr)
    card.update(detectable_difference(getattr(task, "full_size", None)))
    module_doc = inspect.getdoc(inspect.getmodule(type(task)))
    if module_doc and not card["description"]:
        card["description"] = module_doc.split("\n\n")[0]
    return card


def _task_file_card(path: str) -> dict[str, Any]:
    task = load_task_spec(path)
    spec = task.spec
    samples = sum(1 for _ in task.samples())
    card = {
        "name": spec.name,
        "kind": "task file",
        "path": str(spec.source),
        "version": spec.version,
        "output_type": spec.output.type,
        "metrics": list(spec.metrics),
        "citation": spec.citation,
        "description": spec.description,
        "fewshot": spec.fewshot.num,
        "samples": samples,
    }
    if spec.fields.cluster is not None:
        card["cluster"] = spec.fields.cluster
    return card | detectable_difference(samples)


# What the task card assumes when it says how small a difference the task can see.
CARD_BASELINE, CARD_CORRELATION, CARD_POWER, CARD_ALPHA = 0.5, 0.5, 0.8, 0.05


def detectable_difference(samples: int | None) -> dict[str, Any]:
    """The card's power line: the smallest accuracy gain a paired comparison of two models finds on
    all `samples` items (baseline 0.5 when unknown, correlation 0.5, power 0.8, two-sided 5%), as a
    fraction and in words. Nothing when the task's size is unknown until its data is loaded."""
    if not samples:
        return {}
    effect = minimum_detectable_effect(
        CARD_BASELINE, samples, correlation=CARD_CORRELATION, alpha=CARD_ALPHA, power=CARD_POWER
    )
    return {
        "full_size": samples,
        "minimum_detectable_effect": round(effect, 4),
        "detectable": (
            f"{100 * effect:.1f} points of accuracy on all {samples} samples (paired, baseline "
            f"{CARD_BASELINE:g}, correlation {CARD_CORRELATION:g}, power {CARD_POWER:g}, two-sided alpha "
            f"{CARD_ALPHA:g}; items sharing a cluster make it larger)"
        ),
    }
