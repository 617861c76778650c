"""The records of judging: questions and answers in, verdicts and grades out. All frozen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# One ordered judgement: the answer shown first (A), second (B), or neither.
Verdict = Literal["A", "B", "tie"]
# A verdict about a named pair, in the arena's labels.
Winner = Literal["model_a", "model_b", "tie"]


@dataclass(frozen=True)
class Question:
    """A prompt to answer: one turn, or several user turns of one conversation.

    `reference` holds a reference answer per turn (math, code); the judge then grades against it.
    """

    id: str
    turns: tuple[str, ...]
    category: str | None = None
    reference: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.turns:
            raise ValueError(f"question {self.id!r} has no turns")


@dataclass(frozen=True)
class Answer:
    """One model's answer to a question: one assistant message per user turn."""

    question_id: str
    model: str
    turns: tuple[str, ...]


@dataclass(frozen=True)
class ParsedVerdict:
    """What a judge's text said. `method` is "marker" for an explicit [[X]] marker, "fallback:<rule>"
    when a looser rule found it (logged), "none" when nothing did; then `error` says why."""

    verdict: Verdict | None
    method: str
    error: str | None = None


@dataclass(frozen=True)
class ParsedRating:
    rating: float | None
    method: str
    error: str | None = None


@dataclass(frozen=True)
class OrderedJudgement:
    """One call to the judge with `first` shown as assistant A and `second` as assistant B."""

    first: str
    second: str
    verdict: Verdict | None
    method: str
    raw: str
    error: str | None = None
    # P(first is better) from the judge's token probabilities, when the backend gives them.
    prob_first: float | None = None


@dataclass(frozen=True)
class PairwiseJudgement:
    """A pair judged in both orders (or one, without swapping) and the combined winner.

    `winner` is None when a call failed or its verdict could not be parsed: an error, never a tie.
    `consistent` is False when the two orders disagreed; the winner is then "tie".
    """

    question_id: str
    model_a: str
    model_b: str
    turn: int
    judge: str
    forward: OrderedJudgement  # model_a shown first
    backward: OrderedJudgement | None  # model_b shown first
    winner: Winner | None
    consistent: bool | None
    error: str | None
    length_a: int
    length_b: int


@dataclass(frozen=True)
class Grade:
    """A single-answer grade on the judge's scale (1-10 by default); `rating` None means an error."""

    question_id: str
    model: str
    turn: int
    judge: str
    rating: float | None
    method: str
    raw: str
    error: str | None = None


@dataclass(frozen=True)
class ModelGrade:
    """One model's grades summed up: the mean of its readable ratings, and how many were not readable."""

    model: str
    mean_rating: float | None
    graded: int
    errors: int
