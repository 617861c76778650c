"""Run-level metrics: computed over every scored sample of one (model, task), registered by name.

A task lists the aggregators it wants (`aggregators = ("calibration", "by_group")`); the engine
records them with the run and the report layer calls them on the stored scores.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from assay.core.registry import aggregators
from assay.core.types import Sample, Score
from assay.metrics.calibration import expected_calibration_error

Items = Sequence[tuple[Sample, Score]]


def _meta(sample: Sample, key: str) -> object:
    return dict(sample.metadata).get(key)


def _headline(items: Items) -> str | None:
    for _, score in items:
        if score.values:
            return next(iter(score.values))
    return None


@aggregators.register("calibration")
def calibration(items: Items) -> dict[str, float]:
    """ECE (10 equal-mass bins) from each sample's top-choice probability and whether it was right."""
    pairs = [
        (s.values["confidence"], s.values["acc"])
        for _, s in items
        if "confidence" in s.values and "acc" in s.values
    ]
    if not pairs:
        return {}
    confidences, correct = zip(*pairs, strict=True)
    return {"ece": expected_calibration_error(confidences, correct, bins=10)}


@aggregators.register("by_group")
def by_group(items: Items) -> dict[str, float]:
    """The headline metric's mean per group ("group" metadata, else "subject"), as `metric[group]`,
    plus the macro average over groups when there are several."""
    metric = _headline(items)
    if metric is None:
        return {}
    groups: dict[str, list[float]] = defaultdict(list)
    for sample, score in items:
        group = _meta(sample, "group") or _meta(sample, "subject")
        if group is not None and metric in score.values:
            groups[str(group)].append(score.values[metric])
    out = {f"{metric}[{g}]": math.fsum(v) / len(v) for g, v in sorted(groups.items())}
    if len(groups) > 1:
        out[f"{metric}_macro"] = math.fsum(out.values()) / len(groups)
    return out


@aggregators.register("circular")
def circular(items: Items) -> dict[str, float]:
    """CircularEval (OpenCompass): a question counts only if it is right under every rotation of its
    options; also the accuracy of each rotation alone."""
    questions: dict[str, list[float]] = defaultdict(list)
    rotations: dict[int, list[float]] = defaultdict(list)
    for sample, score in items:
        origin, shift = _meta(sample, "circular_of"), _meta(sample, "rotation")
        if origin is None or "acc" not in score.values:
            continue
        questions[str(origin)].append(score.values["acc"])
        rotations[int(str(shift))].append(score.values["acc"])
    if not questions:
        return {}
    out = {"circular_acc": math.fsum(min(v) for v in questions.values()) / len(questions)}
    for shift, values in sorted(rotations.items()):
        out[f"acc[rotation {shift}]"] = math.fsum(values) / len(values)
    return out


def run_level_metrics(names: Sequence[str], items: Items) -> dict[str, float]:
    """Every named aggregator over the items, merged (later names win on a clash)."""
    out: dict[str, float] = {}
    for name in names:
        out.update(aggregators.get(name)(items))
    return out
