"""HELM's robustness and fairness: the worst score of each instance over its perturbations.

HELM (Liang et al. 2022, arXiv:2211.09110, sec. 4.5-4.6) scores an instance under robustness as the
minimum over the original and every robustness perturbation of it, then averages over instances;
fairness likewise over the fairness perturbations. A perturbation that left an instance's text
unchanged is not asked again: it scores what the original scored (HELM's cache gives the same).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

from assay.core.registry import aggregators
from assay.core.types import Sample, Score

Items = Sequence[tuple[Sample, Score]]
ORIGINAL = ""  # the variant name of the unperturbed instance


def worst_case(table: Mapping[str, Mapping[str, float]]) -> float:
    """`table[instance][variant]` (the original under "" plus its perturbations) -> the mean over
    instances of each instance's lowest value. Instances without their original are left out."""
    worst = [min(variants.values()) for variants in table.values() if ORIGINAL in variants]
    return math.fsum(worst) / len(worst) if worst else math.nan


def _meta(sample: Sample) -> dict[str, object]:
    return dict(sample.metadata)


def is_perturbed(sample: Sample) -> bool:
    return "perturbation" in _meta(sample)


@aggregators.register("perturbation")
def perturbation_metrics(
    items: Items, metric: str | None = None, asked: Mapping[str, Sequence[str]] | None = None
) -> dict[str, float]:
    """`{metric}_robustness`, `{metric}_fairness` (worst case per instance) and the mean under each
    perturbation alone, `{metric}[perturbation]`. The headline is the first metric of the scores
    unless named; `asked` (group -> perturbation names) gives a row to every perturbation the run
    asked for, also one that changed no instance."""
    metric = metric or next((next(iter(s.values)) for _, s in items if s.values), None)
    if metric is None:
        return {}
    originals: dict[str, float] = {}
    by_group: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    alone: dict[str, dict[str, float]] = defaultdict(dict)
    for sample, score in items:
        if metric not in score.values:
            continue
        meta = _meta(sample)
        if "perturbation" not in meta:
            originals[sample.id] = score.values[metric]
            continue
        name, group, origin = (
            str(meta["perturbation"]),
            str(meta["perturbation_group"]),
            str(meta["perturbed_from"]),
        )
        by_group[group][origin][name] = score.values[metric]
        alone[name][origin] = score.values[metric]
    for group, names in (asked or {}).items():
        by_group.setdefault(group, defaultdict(dict))
        for name in names:
            alone.setdefault(name, {})
    out: dict[str, float] = {}
    for group, table in sorted(by_group.items()):
        # every instance counts, the ones no perturbation changed at their original score
        with_original = {i: {ORIGINAL: v, **table.get(i, {})} for i, v in originals.items()}
        out[f"{metric}_{group}"] = worst_case(with_original)
    for name, changed in sorted(alone.items()):
        values = [changed.get(i, v) for i, v in originals.items()]
        out[f"{metric}[{name}]"] = math.fsum(values) / len(values)
    return out
