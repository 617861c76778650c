"""`assay judge grade` (single answers on a 1-10 scale) and `assay judge rank` (PairS)."""

from __future__ import annotations

from typing import Annotated

import typer

from assay.api import judge_grade, judge_rank
from assay.cli.judge.helpers import judge_args
from assay.cli.judge.options import (
    AnswersOpt,
    JudgeArgOpt,
    JudgeOpt,
    KindOpt,
    MaxAttemptsOpt,
    MaxTokensOpt,
    ModelsOpt,
    OutOpt,
    PromptsOpt,
    QuestionsOpt,
    TimeoutOpt,
    TurnsOpt,
)
from assay.cli.judge.views import print_grades, print_rankings
from assay.cli.options import DbOpt, JsonOpt, ProgressOpt, emit_json


def grade_cmd(
    questions: QuestionsOpt,
    answers: AnswersOpt,
    judge: JudgeOpt = None,
    kind: KindOpt = "llm",
    judge_arg: JudgeArgOpt = None,
    model: ModelsOpt = None,
    turns: TurnsOpt = "all",
    prompts: PromptsOpt = None,
    max_tokens: MaxTokensOpt = None,
    max_attempts: MaxAttemptsOpt = 5,
    timeout: TimeoutOpt = 600.0,
    db: DbOpt = None,
    out: OutOpt = None,
    progress: ProgressOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """Single-answer grading on a 1-10 scale (reference-guided when a question has a reference)."""
    result = judge_grade(
        questions,
        answers,
        judge=judge,
        kind=kind,
        judge_args=judge_args(judge_arg),
        models=model,
        turns=turns,
        prompts=prompts,
        max_tokens=max_tokens,
        out=out,
        max_attempts=max_attempts,
        timeout=timeout,
        store=db,
        progress=progress and not as_json,
    )
    if as_json:
        emit_json(result.to_json())
        return
    print_grades(result.judge, list(result.models))


def rank_cmd(
    questions: QuestionsOpt,
    answers: AnswersOpt,
    judge: JudgeOpt = None,
    kind: KindOpt = "llm",
    judge_arg: JudgeArgOpt = None,
    method: Annotated[
        str, typer.Option(help="greedy (merge sort) | beam (beam search in each merge).")
    ] = "greedy",
    calibrate: Annotated[
        bool, typer.Option("--calibrate", help="Ask both orders and average them (twice the judge calls).")
    ] = False,
    beam_size: Annotated[int, typer.Option(help="PairS-beam: paths kept per merge.", min=1)] = 20,
    gap: Annotated[
        float,
        typer.Option(
            help="PairS-beam: follow both branches while the judge's probability is within this of 0.5.",
            min=0.0,
            max=0.5,
        ),
    ] = 0.1,
    prompts: PromptsOpt = None,
    max_tokens: MaxTokensOpt = None,
    max_attempts: MaxAttemptsOpt = 5,
    timeout: TimeoutOpt = 600.0,
    db: DbOpt = None,
    progress: ProgressOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """PairS: rank the answers to each question (e.g. 16 summaries) with O(N log N) judgements."""
    result = judge_rank(
        questions,
        answers,
        judge=judge,
        kind=kind,
        judge_args=judge_args(judge_arg),
        method=method,
        calibrate=calibrate,
        beam_size=beam_size,
        gap=gap,
        prompts=prompts,
        max_tokens=max_tokens,
        max_attempts=max_attempts,
        timeout=timeout,
        store=db,
        progress=progress and not as_json,
    )
    if as_json:
        emit_json(result.to_json())
        return
    print_rankings(list(result.rankings))
