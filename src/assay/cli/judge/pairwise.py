"""`assay judge pairwise`: every pair of models judged in both orders; battles -> Bradley-Terry."""

from __future__ import annotations

from typing import Annotated

import typer

from assay.api import JudgePairwiseResult, judge_pairwise
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
    VerdictsOpt,
)
from assay.cli.judge.views import console, print_ratings, print_stats
from assay.cli.options import DbOpt, JsonOpt, ProgressOpt, emit_json
from assay.core.errors import AssayError


def pairwise_cmd(
    questions: QuestionsOpt,
    answers: AnswersOpt,
    judge: JudgeOpt = None,
    kind: KindOpt = "llm",
    judge_arg: JudgeArgOpt = None,
    model: ModelsOpt = None,
    turns: TurnsOpt = "all",
    swap: Annotated[
        bool, typer.Option(help="Judge every pair in both orders (a disagreement is a tie).")
    ] = True,
    verdicts: VerdictsOpt = "text",
    prompts: PromptsOpt = None,
    max_tokens: MaxTokensOpt = None,
    store: Annotated[bool, typer.Option(help="Store the verdicts as battles (source judge:NAME).")] = True,
    prior: Annotated[
        float,
        typer.Option(
            help="Gaussian prior precision on Bradley-Terry strengths; "
            "needed when a model won or lost every battle.",
            min=0.0,
        ),
    ] = 0.0,
    ci: Annotated[str, typer.Option(help="bootstrap | sandwich | none.")] = "bootstrap",
    max_attempts: MaxAttemptsOpt = 5,
    timeout: TimeoutOpt = 600.0,
    db: DbOpt = None,
    out: OutOpt = None,
    progress: ProgressOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """Judge every pair of models on every question, in both orders; battles -> Bradley-Terry.

    Every judge call is cached in the store: the same command again asks only what is missing."""
    result = judge_pairwise(
        questions,
        answers,
        judge=judge,
        kind=kind,
        judge_args=judge_args(judge_arg),
        models=model,
        turns=turns,
        swap=swap,
        verdicts=verdicts,
        prompts=prompts,
        max_tokens=max_tokens,
        store_battles=store,
        prior=prior,
        ci=ci,
        out=out,
        max_attempts=max_attempts,
        timeout=timeout,
        store=db,
        progress=progress and not as_json,
    )
    kept = [] if as_json else _kept(result, stored=store)
    if not as_json:
        print_stats(result.position)  # shown even when too few verdicts were readable to rate
    if result.leaderboard is None:  # the verdicts are kept; say so, and how to rate them
        error = result.rating_error or "the verdicts cannot be rated"
        hint = " (e.g. --prior 1)" if "prior" in error and prior == 0 else ""
        raise AssayError(f"{error}{hint}" + "".join(f"; {k}" for k in kept))
    if as_json:
        emit_json(result.to_json())
        return
    table = result.leaderboard
    pairs = sum(r.battles for r in table.rows) // 2
    print_ratings(table, f"judge {result.judge} — Bradley-Terry over {pairs} judged pairs")
    for line in kept:
        console.print(line)


def _kept(result: JudgePairwiseResult, *, stored: bool) -> list[str]:
    """What was kept, to say at the end (or in the error when the verdicts cannot be rated)."""
    kept = []
    if stored:
        kept.append(f"stored {result.battles_stored} new battles as source {result.source!r}")
    if result.out is not None:
        kept.append(f"wrote {result.out}")
    return kept
