"""An offline reference classifier: alt-profanity-check (a linear model over character n-grams).

It detects OFFENSIVE LANGUAGE ONLY: a polite request for weapon instructions scores low. It is a
reference row that runs anywhere, not a safety classifier. It pins its own scikit-learn, so it is
optional: imported only when asked for, never a dependency of assay.
"""

from __future__ import annotations

from collections.abc import Sequence

from assay.core.errors import AssayError
from assay.metrics.classification import classifier_summary
from assay.safety.datasets import SafetyItem

PROFANITY_NAME = "profanity-check (offensive language only)"
INSTALL_HINT = "pip install alt-profanity-check (optional; it pins its own scikit-learn)"


def profanity_available() -> bool:
    try:
        import profanity_check  # noqa: F401
    except Exception:  # absent, or its scikit-learn pin broken in this environment
        return False
    return True


def profanity_scores(texts: Sequence[str]) -> list[float]:
    """Probability each text is offensive language, from alt-profanity-check."""
    try:
        from profanity_check import predict_prob
    except Exception as exc:
        raise AssayError(f"the profanity baseline is not available ({exc}): {INSTALL_HINT}") from None
    return [float(p) for p in predict_prob(list(texts))]


def item_text(item: SafetyItem) -> str:
    """What the baseline reads: the response when there is one, else the prompt."""
    return item.response if item.response is not None else item.prompt


def profanity_baseline(items: Sequence[SafetyItem], threshold: float = 0.5) -> dict[str, float]:
    """The classifier metrics of the profanity baseline on labelled items."""
    labels = [i.label for i in items]
    if any(label is None for label in labels):
        raise AssayError("the profanity baseline needs a 0/1 label on every row")
    scores = profanity_scores([item_text(i) for i in items])
    return classifier_summary([int(label) for label in labels if label is not None], scores, threshold)
