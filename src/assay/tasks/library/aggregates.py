"""Run-level aggregates specific to library tasks."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from assay.core.registry import aggregators
from assay.core.types import Sample, Score


@aggregators.register("mmlu_categories")
def mmlu_categories(items: Sequence[tuple[Sample, Score]]) -> dict[str, float]:
    """Accuracy per MMLU category (STEM, humanities, social sciences, other), averaged over samples."""
    groups: dict[str, list[float]] = defaultdict(list)
    for sample, score in items:
        category = dict(sample.metadata).get("category")
        if category is not None and "acc" in score.values:
            groups[str(category)].append(score.values["acc"])
    return {f"acc[{name}]": math.fsum(v) / len(v) for name, v in sorted(groups.items())}
