"""ChoiceTask: the shape most published multiple-choice benchmarks share, so each one is a loader
plus a prompt. Rows are loaded once, checked with errors that name the row, and the few-shot
examples come from a separate pool (a dev split, or held-out rows), per group when asked.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from assay.core.errors import DatasetError
from assay.core.types import LoglikelihoodRequest, Message, Request, Response, Sample, Score
from assay.tasks.base import with_cluster
from assay.tasks.multiple_choice import score_choices

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
Loader = Callable[[], tuple[list[Sample], list[Sample]]]  # (evaluated samples, few-shot pool)


def meta(sample: Sample, key: str, default: object = None) -> object:
    return dict(sample.metadata).get(key, default)


def lettered(question: str, choices: Sequence[str]) -> str:
    """'question\\nA. first\\nB. second\\nAnswer:' (the MMLU / ARC / C-Eval layout)."""
    lines = "".join(f"\n{LETTERS[i]}. {c}" for i, c in enumerate(choices))
    return f"{question.strip()}{lines}\nAnswer:"


def check_answer(sample_id: str, where: str, choices: Sequence[str], answer: int | None) -> int:
    if answer is None or not 0 <= answer < len(choices):
        raise DatasetError(
            f"{where}: answer {answer!r} is out of range for {len(choices)} choices (sample {sample_id})"
        )
    return answer


@dataclass
class ChoiceTask:
    """Multiple choice scored by log-likelihood of each option (or of its letter)."""

    name: str
    citation: str
    loader: Loader
    prompt: Callable[[Sample], str]  # the question as the model reads it, ending where the answer goes
    num_fewshot: int = 0
    seed: int = 1234
    shots_by_group: bool = False  # MMLU: examples from the same subject
    preamble: Callable[[Sample], str] | None = None  # once, before the examples
    score_letters: bool = False  # continuations are " A", " B", ... instead of the option texts
    version: str = "1"
    output_type: Literal["multiple_choice"] = "multiple_choice"
    metric_names: tuple[str, ...] = ("acc", "acc_norm")
    aggregators: tuple[str, ...] = ()
    # The metadata key items share (a subject, a passage): standard errors are clustered by it.
    cluster: str | None = None
    full_size: int | None = None  # samples in the published split, for the task card's power line
    _data: tuple[list[Sample], list[Sample]] | None = field(default=None, repr=False)
    _shots: dict[str, list[Sample]] = field(default_factory=dict, repr=False)

    def _load(self) -> tuple[list[Sample], list[Sample]]:
        if self._data is None:
            samples, pool = self.loader()
            if not samples:
                raise DatasetError(f"{self.name}: the dataset has no rows")
            self._data = ([with_cluster(s, self.cluster) for s in samples], pool)
            self._shots = self._pick_shots(pool)
        return self._data

    def _pick_shots(self, pool: list[Sample]) -> dict[str, list[Sample]]:
        if self.num_fewshot <= 0:
            return {}
        groups: dict[str, list[Sample]] = defaultdict(list)
        for sample in pool:
            groups[str(meta(sample, "group", "")) if self.shots_by_group else ""].append(sample)
        picked = {}
        for group, members in groups.items():
            if len(members) < self.num_fewshot:
                where = f" for group {group!r}" if group else ""
                raise DatasetError(
                    f"{self.name}: {self.num_fewshot} few-shot examples asked for but the "
                    f"pool{where} has {len(members)}"
                )
            picked[group] = random.Random(f"{self.seed}:{group}").sample(members, self.num_fewshot)
        if not picked:
            raise DatasetError(
                f"{self.name}: {self.num_fewshot} few-shot examples asked for but there is no few-shot pool"
            )
        return picked

    def samples(self) -> Iterator[Sample]:
        return iter(self._load()[0])

    def shots_for(self, sample: Sample) -> list[Sample]:
        self._load()
        if self.num_fewshot <= 0:
            return []
        group = str(meta(sample, "group", "")) if self.shots_by_group else ""
        if group not in self._shots:
            raise DatasetError(f"{self.name}: no few-shot examples for group {group!r}")
        return self._shots[group]

    def _answer_text(self, sample: Sample) -> str:
        assert sample.choices is not None and sample.answer_index is not None
        return LETTERS[sample.answer_index] if self.score_letters else sample.choices[sample.answer_index]

    def _continuations(self, sample: Sample, *, chat: bool) -> tuple[str, ...]:
        assert sample.choices is not None
        options = LETTERS[: len(sample.choices)] if self.score_letters else sample.choices
        return tuple(options) if chat else tuple(f" {o}" for o in options)

    def build_request(self, sample: Sample, *, chat: bool) -> Request:
        shots = self.shots_for(sample)
        head = self.preamble(sample) if self.preamble else ""
        if chat:
            turns: list[Message] = []
            for shot in shots:
                turns += [Message("user", self.prompt(shot)), Message("assistant", self._answer_text(shot))]
            first = turns[0].content if turns else self.prompt(sample)
            if head:
                first = f"{head}{first}"
            question = self.prompt(sample) if turns else first
            turns = ([Message("user", first), *turns[1:]] if turns else []) + [Message("user", question)]
            return LoglikelihoodRequest(
                context=self.prompt(sample),
                continuations=self._continuations(sample, chat=True),
                messages=tuple(turns),
            )
        examples = "".join(f"{self.prompt(s)} {self._answer_text(s)}\n\n" for s in shots)
        return LoglikelihoodRequest(
            context=f"{head}{examples}{self.prompt(sample)}",
            continuations=self._continuations(sample, chat=False),
        )

    def score(self, sample: Sample, response: Response) -> Score:
        return score_choices(sample, response)
