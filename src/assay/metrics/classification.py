"""Binary classifier metrics: precision, recall and F1 at a threshold, the best-F1 threshold, AUPRC
(average precision) and ROC-AUC. Pure functions over labels (0/1) and scores (higher = positive).

Conventions follow scikit-learn so numbers can be compared: a sample is predicted positive when its
score is >= the threshold; precision with no predicted positives is 0; average precision places a
threshold at every distinct score (tied scores enter together, never in an arbitrary order); ROC-AUC
counts a tied positive/negative pair as half a win.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ThresholdMetrics:
    threshold: float
    precision: float
    recall: float
    f1: float
    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int


def check_binary(labels: Sequence[int], scores: Sequence[float]) -> None:
    """Raise ValueError unless labels are 0/1, scores are finite numbers and both have one length."""
    if len(labels) != len(scores):
        raise ValueError(f"{len(labels)} labels but {len(scores)} scores")
    for i, label in enumerate(labels):
        if isinstance(label, bool) or label not in (0, 1):
            raise ValueError(f"label {label!r} at position {i} is not 0 or 1")
    for i, score in enumerate(scores):
        if not isinstance(score, int | float) or isinstance(score, bool) or not math.isfinite(score):
            raise ValueError(f"score {score!r} at position {i} is not a finite number")


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def at_threshold(labels: Sequence[int], scores: Sequence[float], threshold: float = 0.5) -> ThresholdMetrics:
    """Precision, recall and F1 when every score >= `threshold` is called positive."""
    check_binary(labels, scores)
    tp = sum(1 for y, s in zip(labels, scores, strict=True) if y == 1 and s >= threshold)
    fp = sum(1 for y, s in zip(labels, scores, strict=True) if y == 0 and s >= threshold)
    fn = sum(1 for y, s in zip(labels, scores, strict=True) if y == 1 and s < threshold)
    tn = len(labels) - tp - fp - fn
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    return ThresholdMetrics(threshold, precision, recall, f1, tp, fp, fn, tn)


def best_f1_threshold(labels: Sequence[int], scores: Sequence[float]) -> ThresholdMetrics:
    """The threshold (one of the distinct scores) with the highest F1; on a tie, the highest threshold."""
    check_binary(labels, scores)
    if not scores:
        raise ValueError("no scores to choose a threshold from")
    best: ThresholdMetrics | None = None
    for threshold in sorted(set(scores), reverse=True):
        current = at_threshold(labels, scores, threshold)
        if best is None or current.f1 > best.f1:
            best = current
    assert best is not None
    return best


def _cumulative_counts(labels: Sequence[int], scores: Sequence[float]) -> list[tuple[int, int]]:
    """(true positives, false positives) at each distinct score, highest score first."""
    order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)
    out: list[tuple[int, int]] = []
    tp = fp = 0
    for pos, i in enumerate(order):
        tp += labels[i]
        fp += 1 - labels[i]
        last_of_tie = pos + 1 == len(order) or scores[order[pos + 1]] != scores[i]
        if last_of_tie:
            out.append((tp, fp))
    return out


def average_precision(labels: Sequence[int], scores: Sequence[float]) -> float:
    """AUPRC as average precision: sum over distinct thresholds of (R_n - R_{n-1}) * P_n.

    NaN when there are no positive labels (recall is undefined)."""
    check_binary(labels, scores)
    positives = sum(labels)
    if positives == 0:
        return math.nan
    total = 0.0
    previous_recall = 0.0
    for tp, fp in _cumulative_counts(labels, scores):
        recall = tp / positives
        total += (recall - previous_recall) * (tp / (tp + fp))
        previous_recall = recall
    return total


def roc_auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Area under the ROC curve: the chance a random positive outscores a random negative (ties 0.5).

    NaN unless both classes are present."""
    check_binary(labels, scores)
    pos = [s for y, s in zip(labels, scores, strict=True) if y == 1]
    neg = sorted(s for y, s in zip(labels, scores, strict=True) if y == 0)
    if not pos or not neg:
        return math.nan
    wins = 0.0
    for s in pos:
        below = bisect.bisect_left(neg, s)
        tied = bisect.bisect_right(neg, s) - below
        wins += below + 0.5 * tied
    return wins / (len(pos) * len(neg))


def classifier_summary(
    labels: Sequence[int], scores: Sequence[float], threshold: float = 0.5
) -> dict[str, float]:
    """Every metric above in one flat dict (for tables, JSON and the store)."""
    fixed = at_threshold(labels, scores, threshold)
    best = best_f1_threshold(labels, scores) if scores else None
    return {
        "n": float(len(labels)),
        "positives": float(sum(labels)),
        "threshold": threshold,
        "precision": fixed.precision,
        "recall": fixed.recall,
        "f1": fixed.f1,
        "best_f1": best.f1 if best else math.nan,
        "best_f1_threshold": best.threshold if best else math.nan,
        "auprc": average_precision(labels, scores),
        "roc_auc": roc_auc(labels, scores),
    }
