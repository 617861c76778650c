"""Min-K% Prob and Min-K%++: membership signals from the model's own per-token log-probabilities.

Min-K% (Shi et al., 2024, arXiv:2310.16789): the mean log-probability of the k% least likely tokens
of a text; text seen in training has fewer very unlikely tokens, so a higher score. Min-K%++ (Zhang et
al., 2024, arXiv:2404.02936) first standardises each token's log-probability by the mean and spread of
log p under the model's distribution at that position, so "unlikely" is judged against what the
model expected there. Both are signals with overlapping distributions, never proof of membership.

The scoring runs as an ordinary task (`min_k`) through the engine: cached, retried, stored.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from assay.core.errors import ConfigError, DatasetError
from assay.core.protocols import Task
from assay.core.registry import tasks
from assay.core.types import LoglikelihoodRequest, LoglikelihoodResult, Request, Response, Sample, Score
from assay.io import packaged_path, read_rows, read_text

REFERENCE = "reference"
DEFAULT_K = 0.2
MAX_CHARS = 4000  # long texts are cut: the signal needs a few hundred tokens, not a whole file


def lowest_mean(values: Sequence[float], k: float) -> float:
    """Mean of the ceil(k * n) smallest values."""
    if not values:
        return math.nan
    count = max(1, math.ceil(k * len(values)))
    return math.fsum(sorted(values)[:count]) / count


def min_k(token_logprobs: Sequence[float], k: float = DEFAULT_K) -> float:
    return lowest_mean(token_logprobs, k)


def min_k_plus(
    token_logprobs: Sequence[float], means: Sequence[float], stds: Sequence[float], k: float = DEFAULT_K
) -> float:
    """Min-K%++: the k% lowest of (log p(x_t) - mu_t) / sigma_t, averaged."""
    z = [(lp - mu) / sd if sd > 0 else 0.0 for lp, mu, sd in zip(token_logprobs, means, stds, strict=True)]
    return lowest_mean(z, k)


def reference_texts(path: str | None = None) -> list[tuple[str, str]]:
    """(id, text) of the reference set: a JSONL file with a `text` field, a text file of paragraphs
    separated by blank lines, or (no path) the paragraphs assay ships, written in December 2026."""
    if path is not None and Path(path).suffix.lower() in (".jsonl", ".json"):
        out: list[tuple[str, str]] = []
        for found in read_rows(Path(path), format="jsonl", what="reference texts"):
            text = found.data.get("text")
            if not isinstance(text, str) or not text.strip():
                raise DatasetError(f"{found.where}: needs a non-empty 'text' field")
            out.append((str(found.data.get("id", len(out) + 1)), text))
        return out
    source = Path(path) if path is not None else packaged_path("assay.contamination", "data/fresh_2026.md")
    paragraphs = [
        p.strip()
        for p in read_text(source, what="reference texts").split("\n\n")
        if p.strip() and not p.startswith("#")
    ]
    return [(str(i), p) for i, p in enumerate(paragraphs, 1)]


@dataclass
class MinKTask:
    """Per-token log-probabilities of each text (a task's item inputs, or reference texts)."""

    source: str = REFERENCE
    texts: str | None = None
    k: float = DEFAULT_K
    name: str = "min_k"
    version: str = "1"
    output_type: Literal["multiple_choice"] = "multiple_choice"
    metric_names: tuple[str, ...] = ("min_k", "min_k_plus", "mean_logprob")
    _samples: list[Sample] = field(default_factory=list, repr=False)

    def samples(self) -> Iterator[Sample]:
        if not self._samples:
            if self.source == REFERENCE:
                pairs = reference_texts(self.texts)
            else:
                task = tasks.get(self.source)()
                assert isinstance(task, Task)
                pairs = [(s.id, s.input) for s in task.samples()]
            self._samples = [Sample(id=i, input=t[:MAX_CHARS]) for i, t in pairs]
        yield from self._samples

    def build_request(self, sample: Sample, *, chat: bool) -> Request:
        # No context: the text itself is scored, from the model's start-of-text on.
        return LoglikelihoodRequest(context="", continuations=(sample.input,), per_token=True)

    def score(self, sample: Sample, response: Response) -> Score:
        if not isinstance(response, LoglikelihoodResult) or not response.scores:
            return Score(values={})
        scored = response.scores[0]
        logprobs = scored.token_logprobs or ()
        values = {"mean_logprob": scored.logprob / scored.num_tokens if scored.num_tokens else math.nan}
        if logprobs:
            values["min_k"] = min_k(logprobs, self.k)
        if logprobs and scored.token_means and scored.token_stds:
            values["min_k_plus"] = min_k_plus(logprobs, scored.token_means, scored.token_stds, self.k)
        return Score(values=values)


@tasks.register("min_k")
def min_k_task(source: str = REFERENCE, texts: str | None = None, k: float = DEFAULT_K) -> MinKTask:
    """Min-K% / Min-K%++ of a task's items (`source=gsm8k`) or of reference texts (`texts=PATH`)."""
    if not isinstance(k, int | float) or not 0 < k <= 1:
        raise ConfigError(f"min_k.k must be a fraction in (0, 1], not {k!r}")
    label = source if source == REFERENCE or texts is None else f"{source}"
    return MinKTask(source=source, texts=texts, k=float(k), name=f"min_k:{label}")
