"""Repeats (epochs): the several scores one sample got when it was asked several times, reduced to one.

With sampled generation a sample's score is itself random. Asking each sample K times and reducing the
K scores to one per sample (the mean, the score of the majority answer, or pass@k) gives a per-sample
score with less model noise; the standard error is then computed over samples from the reduced scores,
so it holds both sources of variance (Miller, "Adding Error Bars to Evals", arXiv 2411.00640, sec. 4):
Var(reduced) = Var(item difficulty) + E[within-sample variance] / K for the mean. The `epochs`
run-level aggregator reports that within-sample part, so a user can see how much more repeats buy.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from assay.core.registry import aggregators
from assay.core.types import Sample, Score
from assay.metrics.pass_at_k import pass_at_k

Epoch = tuple[float, str | None]  # (headline score, extracted answer) of one repeat
_PASS_AT = re.compile(r"^pass@([1-9][0-9]*)$")


def check_reducer(name: str, epochs: int) -> str:
    """The reducer's name if it is usable with this many epochs, else a ValueError saying why."""
    if name in ("mean", "majority"):
        return name
    match = _PASS_AT.match(name)
    if match is None:
        raise ValueError(f"epochs reducer must be mean, majority or pass@K, not {name!r}")
    if int(match.group(1)) > epochs:
        raise ValueError(f"{name} needs at least {match.group(1)} epochs, not {epochs}")
    return name


def reduce_epochs(epochs: Sequence[Epoch], reducer: str) -> float:
    """One sample's score from its repeats, in epoch order.

    mean: the average score. majority: the score of the most common extracted answer (a tie goes to
    the answer that appeared first; a repeat with no extracted answer votes with its score).
    pass@K: the unbiased chance that at least one of K repeats drawn from these scored 1."""
    if not epochs:
        raise ValueError("a sample with no scored epoch has nothing to reduce")
    values = [v for v, _ in epochs]
    if reducer == "mean":
        return math.fsum(values) / len(values)
    if reducer == "majority":
        votes = [a if a is not None else f"score:{v!r}" for v, a in epochs]
        counts = Counter(votes)
        winner = max(votes, key=lambda a: (counts[a], -votes.index(a)))
        return values[votes.index(winner)]
    match = _PASS_AT.match(reducer)
    if match is None:
        raise ValueError(f"unknown epochs reducer {reducer!r}")
    k = min(int(match.group(1)), len(values))  # a sample that lost a repeat to an error uses what it has
    return pass_at_k(len(values), sum(1 for v in values if v >= 1.0), k)


def reduce_by_sample(scores: Iterable[tuple[str, float, str | None]], reducer: str) -> list[float]:
    """(sample id, score, extracted answer) of every repeat -> one reduced score per sample, in the
    order the samples first appear."""
    grouped: dict[str, list[Epoch]] = defaultdict(list)
    for sample_id, value, extracted in scores:
        grouped[sample_id].append((value, extracted))
    return [reduce_epochs(epochs, reducer) for epochs in grouped.values()]


def within_sample_variance(groups: Iterable[Sequence[float]]) -> tuple[float, float]:
    """(mean within-sample variance of the repeats' scores, variance of the per-sample means) over the
    samples with at least two repeats; nan where there are none (or fewer than two samples)."""
    groups = [list(g) for g in groups if len(g) >= 2]
    if not groups:
        return math.nan, math.nan
    within = [_variance(g) for g in groups]
    means = [math.fsum(g) / len(g) for g in groups]
    return math.fsum(within) / len(within), _variance(means) if len(means) >= 2 else math.nan


def _variance(values: Sequence[float]) -> float:
    mean = math.fsum(values) / len(values)
    return math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)


@aggregators.register("epochs")
def epochs_summary(items: Sequence[tuple[Sample, Score]]) -> dict[str, float]:
    """For a run with repeats: the repeats per sample, the mean within-sample variance of the headline
    score, and its share of the variance of the per-sample means (the part more repeats would shrink)."""
    metric = next((next(iter(s.values)) for _, s in items if s.values), None)
    if metric is None:
        return {}
    groups: dict[str, list[float]] = defaultdict(list)
    for sample, score in items:
        if metric in score.values:
            groups[sample.id].append(score.values[metric])
    repeats = min(len(g) for g in groups.values())
    within, between = within_sample_variance(groups.values())
    if math.isnan(within):
        return {"epochs": float(repeats)}
    share = (within / repeats) / between if between > 0 else math.nan
    return {
        "epochs": float(repeats),
        f"{metric}.within_var": within,
        f"{metric}.within_share": min(share, 1.0) if not math.isnan(share) else math.nan,
    }
