"""Multiple choice by log-likelihood: accuracy and length-normalised accuracy."""

from __future__ import annotations

from assay.core.errors import DatasetError
from assay.core.types import LoglikelihoodRequest, LoglikelihoodResult, Message, Response, Sample, Score
from assay.metrics.calibration import brier, softmax


def choice_request(context: str, sample: Sample, *, chat: bool = False) -> LoglikelihoodRequest:
    """Each choice after the context: " choice" after raw text, or, in chat mode, the bare choice
    as the start of the assistant's reply to the context sent as one user turn."""
    if not sample.choices:
        raise DatasetError(f"sample {sample.id}: a multiple-choice item needs choices")
    if chat:
        return LoglikelihoodRequest(
            context=context, continuations=tuple(sample.choices), messages=(Message("user", context.strip()),)
        )
    return LoglikelihoodRequest(context=context, continuations=tuple(" " + c for c in sample.choices))


def score_choices(sample: Sample, response: Response) -> Score:
    """acc: the most likely choice is right; acc_norm: the same after dividing by the choice's length;
    brier and confidence (the top choice's probability, for calibration error) from the softmax."""
    if not isinstance(response, LoglikelihoodResult) or not sample.choices or sample.answer_index is None:
        raise DatasetError(f"sample {sample.id}: cannot score a multiple-choice item without choices")
    logprobs = [s.logprob for s in response.scores]
    # Characters of the option itself (not the space before it), as lm-evaluation-harness counts them,
    # so acc_norm agrees with the numbers people compare against.
    lengths = [max(1, len(c)) for c in sample.choices]
    best = max(range(len(logprobs)), key=logprobs.__getitem__)
    best_norm = max(range(len(logprobs)), key=lambda i: logprobs[i] / lengths[i])
    probs = softmax(logprobs)  # over the offered options only: the model's choice distribution
    return Score(
        values={
            "acc": float(best == sample.answer_index),
            "acc_norm": float(best_norm == sample.answer_index),
            "brier": brier(probs, sample.answer_index),
            "confidence": probs[best],
        },
        extracted=sample.choices[best],
    )
