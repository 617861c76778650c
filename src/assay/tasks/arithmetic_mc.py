"""Arithmetic multiple choice, generated from a seed: a built-in log-likelihood task that needs no download.

Each item asks for a sum, difference or product of two numbers; the distractors are near misses
(off by one, off by ten, digits swapped), so picking the right one needs the arithmetic, not the format.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from assay.core.registry import tasks
from assay.core.types import Request, Response, Sample, Score
from assay.tasks.multiple_choice import choice_request, score_choices

_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}


def _distractors(answer: int, rng: random.Random) -> list[int]:
    swapped = int(str(abs(answer))[::-1]) * (1 if answer >= 0 else -1)
    pool = {answer + 1, answer - 1, answer + 10, answer - 10, swapped, answer + rng.choice([2, 3, 9, 11])}
    pool.discard(answer)
    return rng.sample(sorted(pool), 3)


def make_item(index: int, seed: int) -> Sample:
    rng = random.Random(f"{seed}:{index}")
    op = rng.choice(list(_OPS))
    a, b = (
        (rng.randint(2, 30), rng.randint(2, 12)) if op == "*" else (rng.randint(10, 99), rng.randint(10, 99))
    )
    answer = _OPS[op](a, b)
    choices = [answer, *_distractors(answer, rng)]
    rng.shuffle(choices)
    return Sample(
        id=str(index),
        input=f"What is {a} {op} {b}?",
        choices=tuple(str(c) for c in choices),
        answer_index=choices.index(answer),
    )


@dataclass
class ArithmeticMC:
    size: int = 200
    seed: int = 0
    name: str = "arithmetic_mc"
    version: str = "1"
    citation: str = "assay built-in (generated from a seed); no paper"
    output_type: Literal["multiple_choice"] = "multiple_choice"
    metric_names: tuple[str, ...] = ("acc", "acc_norm")

    def samples(self) -> Iterator[Sample]:
        return (make_item(i, self.seed) for i in range(self.size))

    def build_request(self, sample: Sample, *, chat: bool) -> Request:
        return choice_request(f"Question: {sample.input}\nAnswer:", sample, chat=chat)

    def score(self, sample: Sample, response: Response) -> Score:
        return score_choices(sample, response)


@tasks.register("arithmetic_mc")
def arithmetic_mc(size: int = 200, seed: int = 0) -> ArithmeticMC:
    return ArithmeticMC(size=size, seed=seed)
