"""TruthfulQA MC1 and MC2 (Lin et al., 2022, "TruthfulQA: Measuring How Models Mimic Human Falsehoods",
ACL) from the full dataset: its mc_task.json, or the hub's `truthful_qa` multiple_choice layout.

MC1: one true option among several, accuracy. MC2: the probability mass the model puts on the true
options, normalised over all options. (The BIG-bench 299-question subset stays `truthful_qa_mc`.)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assay.core.errors import DatasetError
from assay.core.registry import tasks
from assay.core.types import LoglikelihoodResult, Response, Sample, Score
from assay.io import Row, read_hf, read_rows
from assay.tasks.library.base import ChoiceTask

CITATION = "Lin et al., 2022, TruthfulQA: Measuring How Models Mimic Human Falsehoods, ACL"


def _targets(value: Any, where: str) -> tuple[list[str], list[int]]:
    if isinstance(value, dict) and "choices" in value:  # hub layout
        return [str(c) for c in value["choices"]], [int(x) for x in value["labels"]]
    if isinstance(value, dict):  # mc_task.json layout: {option: 0/1}
        return [str(c) for c in value], [int(x) for x in value.values()]
    raise DatasetError(f"{where}: expected mc1_targets / mc2_targets")


def _rows(path: str | None) -> Iterator[Row]:
    """The mc_task.json list of questions, or the hub's multiple_choice validation split."""
    if path is None:
        return read_hf("truthful_qa", "multiple_choice", "validation")
    return read_rows(Path(path), format="json", what="dataset")


def load(path: str | None, key: str) -> list[Sample]:
    out = []
    for i, record in enumerate(_rows(path)):
        where, row = record.where, record.data
        choices, labels = _targets(row.get(key), where)
        if sum(labels) < 1 or len(choices) < 2:
            raise DatasetError(f"{where}: {key} needs two or more options and at least one true one")
        out.append(
            Sample(
                id=str(i),
                input=str(row["question"]),
                choices=tuple(choices),
                answer_index=labels.index(1),
                metadata=(("labels", labels),),
            )
        )
    return out


def _prompt(sample: Sample) -> str:
    return f"Q: {sample.input}\nA:"


@dataclasses.dataclass
class TruthfulQAMC2(ChoiceTask):
    def score(self, sample: Sample, response: Response) -> Score:
        if not isinstance(response, LoglikelihoodResult):
            raise DatasetError(f"sample {sample.id}: MC2 needs log-likelihoods")
        labels = list(dict(sample.metadata)["labels"])
        top = max(s.logprob for s in response.scores)
        weights = [math.exp(s.logprob - top) for s in response.scores]
        true_mass = math.fsum(w for w, label in zip(weights, labels, strict=True) if label)
        return Score(values={"mc2": true_mass / math.fsum(weights)})


@tasks.register("truthfulqa_mc1")
def truthfulqa_mc1(path: str | None = None) -> ChoiceTask:
    """TruthfulQA MC1 (817 questions): accuracy with one true option."""
    return ChoiceTask(
        name="truthfulqa_mc1",
        citation=CITATION,
        loader=lambda: (load(path, "mc1_targets"), []),
        prompt=_prompt,
        full_size=817,
    )


@tasks.register("truthfulqa_mc2")
def truthfulqa_mc2(path: str | None = None) -> ChoiceTask:
    """TruthfulQA MC2: normalised probability of the true options."""
    return TruthfulQAMC2(
        name="truthfulqa_mc2",
        citation=CITATION,
        loader=lambda: (load(path, "mc2_targets"), []),
        prompt=_prompt,
        metric_names=("mc2",),
        full_size=817,
    )
