"""Run a judge over questions and answers: every pair in both orders, grades, PairS rankings.

Pure orchestration over the `Judge` protocol; `assay.judge.service` gives the judge a model whose every
call is a unit of an engine session (cached, retried, resumable).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal, TypeVar

from assay.core.errors import DatasetError
from assay.judge.judges import Judge
from assay.judge.pairs import PreferenceLog, SearchMethod, arank_with
from assay.judge.position import combine_orders
from assay.judge.types import Answer, Grade, PairwiseJudgement, Question

T = TypeVar("T")
Progress = Callable[[int], None]  # called with the number of judgements just finished
TurnChoice = Literal["all", "first", "last"]


def index_answers(answers: Sequence[Answer]) -> dict[str, dict[str, Answer]]:
    """question id -> model -> answer; a second answer of one model to one question is an error."""
    table: dict[str, dict[str, Answer]] = {}
    for answer in answers:
        per_question = table.setdefault(answer.question_id, {})
        if answer.model in per_question:
            raise DatasetError(f"two answers of {answer.model!r} to question {answer.question_id!r}")
        per_question[answer.model] = answer
    return table


def turns_to_judge(question: Question, choice: TurnChoice) -> list[int]:
    n = len(question.turns)
    return {"all": list(range(1, n + 1)), "first": [1], "last": [n]}[choice]


async def _all(jobs: Sequence[Callable[[], Awaitable[T]]], progress: Progress | None) -> list[T]:
    """Every job at once, results in job order. No gate here: a judge's model calls go through the
    engine session, which holds each model to its own concurrency."""

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        result = await job()
        if progress is not None:
            progress(1)
        return result

    return list(await asyncio.gather(*(one(job) for job in jobs)))


def pair_jobs(
    questions: Sequence[Question],
    answers: Sequence[Answer],
    *,
    models: Sequence[str] | None,
    turns: TurnChoice,
) -> list[tuple[Question, Answer, Answer, int]]:
    """(question, answer_a, answer_b, turn) for every pair of models that both answered."""
    table = index_answers(answers)
    wanted = set(models) if models else None
    jobs = []
    for question in questions:
        present = sorted(m for m in table.get(question.id, {}) if wanted is None or m in wanted)
        for a, b in combinations(present, 2):
            for turn in turns_to_judge(question, turns):
                jobs.append((question, table[question.id][a], table[question.id][b], turn))
    return jobs


async def judge_pairs(
    judge: Judge,
    questions: Sequence[Question],
    answers: Sequence[Answer],
    *,
    models: Sequence[str] | None = None,
    turns: TurnChoice = "all",
    swap: bool = True,
    progress: Progress | None = None,
) -> list[PairwiseJudgement]:
    """Every pair of models on every question (and turn), judged in both orders unless `swap` is off."""
    jobs = pair_jobs(questions, answers, models=models, turns=turns)
    if not jobs:
        raise DatasetError("nothing to judge: no question has answers from two of the models")

    async def one(question: Question, a: Answer, b: Answer, turn: int) -> PairwiseJudgement:
        forward = await judge.judge_order(question, a, b, turn)
        backward = await judge.judge_order(question, b, a, turn) if swap else None
        winner, consistent, error = combine_orders(forward, backward)
        return PairwiseJudgement(
            question.id,
            a.model,
            b.model,
            turn,
            judge.name,
            forward,
            backward,
            winner,
            consistent,
            error,
            len(a.turns[turn - 1]),
            len(b.turns[turn - 1]),
        )

    calls = [lambda q=q, a=a, b=b, t=t: one(q, a, b, t) for q, a, b, t in jobs]
    return await _all(calls, progress)


def grade_jobs(
    questions: Sequence[Question],
    answers: Sequence[Answer],
    *,
    models: Sequence[str] | None,
    turns: TurnChoice,
) -> list[tuple[Question, Answer, int]]:
    table = index_answers(answers)
    return [
        (q, answer, turn)
        for q in questions
        for m, answer in sorted(table.get(q.id, {}).items())
        if not models or m in models
        for turn in turns_to_judge(q, turns)
    ]


async def grade_answers(
    judge: Judge,
    questions: Sequence[Question],
    answers: Sequence[Answer],
    *,
    models: Sequence[str] | None = None,
    turns: TurnChoice = "all",
    progress: Progress | None = None,
) -> list[Grade]:
    jobs = grade_jobs(questions, answers, models=models, turns=turns)
    if not jobs:
        raise DatasetError("nothing to grade: no answers match the questions")
    calls = [lambda q=q, a=a, t=t: judge.grade(q, a, t) for q, a, t in jobs]
    return await _all(calls, progress)


@dataclass(frozen=True)
class CandidateRanking:
    """Candidates best first, with what the ranking cost and how preferences were read."""

    question_id: str
    order: tuple[str, ...]
    method: str
    comparisons: int
    judge_calls: int
    source: Literal["probabilities", "verdicts"]
    errors: int


async def rank_candidates(
    judge: Judge,
    question: Question,
    candidates: Sequence[Answer],
    *,
    method: SearchMethod = "greedy",
    calibrate: bool = False,
    beam_size: int = 20,
    gap: float = 0.1,
    progress: Progress | None = None,
) -> CandidateRanking:
    """PairS over the candidates' answers (last turn). Token probabilities when the judge gives them,
    else verdicts (A = 1, B = 0, tie = 0.5); an unreadable verdict counts as 0.5 and as an error."""
    if len({c.model for c in candidates}) != len(candidates):
        raise DatasetError(f"candidate names repeat in question {question.id!r}")
    turn = len(question.turns)
    errors = 0
    used_verdicts = False

    async def prefer(i: int, j: int) -> float:
        nonlocal errors, used_verdicts
        first, second = candidates[i], candidates[j]
        p = None if used_verdicts else await judge.preference(question, first, second, turn)
        if p is None:
            used_verdicts = True
            verdict = await judge.judge_order(question, first, second, turn)
            errors += verdict.verdict is None
            p = {"A": 1.0, "B": 0.0}.get(verdict.verdict or "", 0.5)
        if progress is not None:
            progress(1)
        return p

    order, log = await arank_with(
        prefer, len(candidates), method, calibrate=calibrate, beam_size=beam_size, gap=gap
    )
    return _ranking(question.id, [candidates[i].model for i in order], method, log, used_verdicts, errors)


def _ranking(
    qid: str, order: list[str], method: str, log: PreferenceLog, verdicts: bool, errors: int
) -> CandidateRanking:
    return CandidateRanking(
        qid,
        tuple(order),
        method,
        log.comparisons,
        log.calls,
        "verdicts" if verdicts else "probabilities",
        errors,
    )


def rank_work(
    questions: Sequence[Question], answers: Sequence[Answer]
) -> list[tuple[Question, list[Answer]]]:
    """Each question with two or more answers, and its answers ordered by model."""
    table = index_answers(answers)
    work = [(q, [table[q.id][m] for m in sorted(table.get(q.id, {}))]) for q in questions]
    work = [(q, c) for q, c in work if len(c) >= 2]
    if not work:
        raise DatasetError("nothing to rank: no question has two or more answers")
    return work


async def rank_all(
    judge: Judge,
    work: Sequence[tuple[Question, Sequence[Answer]]],
    *,
    method: SearchMethod = "greedy",
    calibrate: bool = False,
    beam_size: int = 20,
    gap: float = 0.1,
    progress: Progress | None = None,
) -> list[CandidateRanking]:
    """PairS on each question in turn (the first tells whether the judge gives probabilities)."""
    return [
        await rank_candidates(
            judge, q, c, method=method, calibrate=calibrate, beam_size=beam_size, gap=gap, progress=progress
        )
        for q, c in work
    ]
