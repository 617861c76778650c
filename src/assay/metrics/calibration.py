"""Calibration of multiple-choice answers from the model's choice probabilities (pure functions).

Brier score (Brier, 1950) over all options; expected calibration error with equal-mass bins
(Nixon et al., 2019, "Measuring Calibration in Deep Learning"), as HELM reports it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from assay.core.errors import AssayError


def softmax(logprobs: Sequence[float]) -> list[float]:
    top = max(logprobs)
    weights = [math.exp(lp - top) for lp in logprobs]
    total = math.fsum(weights)
    return [w / total for w in weights]


def brier(probs: Sequence[float], answer: int) -> float:
    """Sum over options of (p - 1[correct])^2: 0 is perfect, 2 is confidently wrong."""
    return math.fsum((p - (1.0 if i == answer else 0.0)) ** 2 for i, p in enumerate(probs))


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[float], *, bins: int = 10
) -> float:
    """|accuracy - confidence| per bin, weighted by bin size; bins hold equal numbers of samples.

    Samples are sorted by confidence (ties broken by input order, so the result is deterministic)
    and cut into `bins` contiguous groups whose sizes differ by at most one.
    """
    n = len(confidences)
    if n != len(correct):
        raise AssayError("calibration needs one correctness value per confidence")
    if n == 0:
        return math.nan
    order = sorted(range(n), key=lambda i: confidences[i])
    count = min(bins, n)
    total = 0.0
    for b in range(count):
        members = order[b * n // count : (b + 1) * n // count]
        conf = math.fsum(confidences[i] for i in members) / len(members)
        acc = math.fsum(correct[i] for i in members) / len(members)
        total += len(members) / n * abs(acc - conf)
    return total
