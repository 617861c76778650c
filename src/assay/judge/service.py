"""The judge commands as domain operations: read the inputs, build the judge on an engine session,
judge, turn verdicts into battles, store them, rate them. `assay.api` calls these; so does the CLI,
through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from assay.core.errors import AssayError, ConfigError, DatasetError
from assay.io import check_writable, write_jsonl
from assay.judge.inputs import AnswersLike, JudgeInputs, PathLike, QuestionsLike, load_inputs
from assay.judge.leaderboard import battle_source, grade_summary, judge_leaderboard, judgements_to_battles
from assay.judge.pairs import SearchMethod, merge_sort_worst_case
from assay.judge.position import position_stats
from assay.judge.records import grade_record, judgement_record
from assay.judge.results import JudgeCalls, JudgeGradeResult, JudgePairwiseResult, JudgeRankResult
from assay.judge.routing import (
    TASK_GRADE,
    TASK_PAIRWISE,
    TASK_RANK,
    JudgeProgress,
    JudgeSetup,
    Judging,
    StoreHandle,
    StoreTarget,
    judging,
)
from assay.judge.run import TurnChoice, grade_answers, grade_jobs, judge_pairs, pair_jobs, rank_all, rank_work
from assay.store.battles import put_battles

CI_METHODS = ("bootstrap", "sandwich", "none")


def check_turns(value: str) -> TurnChoice:
    if value not in ("all", "first", "last"):
        raise ConfigError(f"turns must be all, first or last, not {value!r}")
    return cast(TurnChoice, value)


def check_out(out: PathLike | None) -> Path | None:
    """Fail before judging, not after it, when the judgements file cannot be written."""
    if out is None:
        return None
    check_writable(Path(out))
    return Path(out)


def _calls(run: Judging) -> JudgeCalls:
    return JudgeCalls(run.run_id, run.summary())


def _options(inputs: JudgeInputs, **more: Any) -> dict[str, Any]:
    """The command's options as its run records them: the input files first."""
    return {**inputs.sources, **more}


# -- pairwise ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairwiseOptions:
    models: tuple[str, ...] | None = None  # only these answering models
    turns: str = "all"
    swap: bool = True
    store_battles: bool = True
    prior: float = 0.0
    ci: str = "bootstrap"
    out: PathLike | None = None

    def check(self) -> None:
        if self.ci not in CI_METHODS:
            raise ConfigError(f"ci must be bootstrap, sandwich or none, not {self.ci!r}")
        if self.prior < 0:
            raise ConfigError(f"prior must not be negative, not {self.prior}")
        check_turns(self.turns)


def judge_pairwise(
    questions: QuestionsLike,
    answers: AnswersLike,
    setup: JudgeSetup,
    options: PairwiseOptions,
    store: StoreTarget = None,
    *,
    progress: bool = False,
) -> JudgePairwiseResult:
    """Every pair of models on every question (and turn), in both orders; battles -> Bradley-Terry."""
    setup.check()
    options.check()
    out = check_out(options.out)
    inputs = load_inputs(questions, answers)
    with StoreHandle(store) as handle:
        judged, run, name, identity = asyncio.run(_pairwise(inputs, setup, options, handle, progress))
        battles = judgements_to_battles(judged)
        source = battle_source(name)
        stored = options.store_battles and not battles.empty
        added = put_battles(handle.get(), battles, source=source) if stored else 0
    if out is not None:  # after the battles are safe in the store
        write_jsonl(out, (judgement_record(j) for j in judged))
    table, rating_error = None, None
    try:
        table = judge_leaderboard(battles, prior=options.prior, ci=options.ci)
    except AssayError as exc:  # the verdicts are kept all the same
        rating_error = str(exc)
    return JudgePairwiseResult(
        judge=name, identity=identity, judgements=tuple(judged), position=tuple(position_stats(judged)),
        battles=battles, source=source, battles_stored=added, leaderboard=table, rating_error=rating_error,
        out=out, calls=run,
    )  # fmt: skip


async def _pairwise(
    inputs: JudgeInputs, setup: JudgeSetup, options: PairwiseOptions, store: StoreHandle, progress: bool
) -> tuple[list[Any], JudgeCalls, str, dict[str, Any]]:
    turns = check_turns(options.turns)
    models = list(options.models) if options.models else None
    jobs = pair_jobs(inputs.questions, inputs.answers, models=models, turns=turns)
    if not jobs:  # before any model loads
        raise DatasetError("nothing to judge: no question has answers from two of the models")
    recorded = _options(inputs, models=models, turns=turns, swap=options.swap)
    async with judging(setup, TASK_PAIRWISE, recorded, store) as run:
        with JudgeProgress(len(jobs), enabled=progress, description="judging", session=run.session) as bar:
            judged = await judge_pairs(
                run.judge, inputs.questions, inputs.answers, models=models, turns=turns, swap=options.swap,
                progress=bar.advance,
            )  # fmt: skip
    return judged, _calls(run), run.judge.name, run.judge.identity()


# -- grades -----------------------------------------------------------------------------------------


def judge_grade(
    questions: QuestionsLike,
    answers: AnswersLike,
    setup: JudgeSetup,
    *,
    models: Sequence[str] | None = None,
    turns: str = "all",
    out: PathLike | None = None,
    store: StoreTarget = None,
    progress: bool = False,
) -> JudgeGradeResult:
    """A 1-10 grade for every answer and turn (reference-guided when the question has a reference)."""
    setup.check()
    choice = check_turns(turns)
    out_path = check_out(out)
    inputs = load_inputs(questions, answers)
    chosen = list(models) if models else None
    with StoreHandle(store) as handle:
        grades, name, run = asyncio.run(_grade(inputs, setup, chosen, choice, handle, progress))
    if out_path is not None:
        write_jsonl(out_path, (grade_record(g) for g in grades))
    return JudgeGradeResult(name, tuple(grades), tuple(grade_summary(grades)), out=out_path, calls=run)


async def _grade(
    inputs: JudgeInputs,
    setup: JudgeSetup,
    models: list[str] | None,
    turns: TurnChoice,
    store: StoreHandle,
    progress: bool,
) -> tuple[list[Any], str, JudgeCalls]:
    jobs = grade_jobs(inputs.questions, inputs.answers, models=models, turns=turns)
    if not jobs:
        raise DatasetError("nothing to grade: no answers match the questions")
    recorded = _options(inputs, models=models, turns=turns)
    async with judging(setup, TASK_GRADE, recorded, store) as run:
        with JudgeProgress(len(jobs), enabled=progress, description="grading", session=run.session) as bar:
            grades = await grade_answers(
                run.judge, inputs.questions, inputs.answers, models=models, turns=turns, progress=bar.advance
            )
    return grades, run.judge.name, _calls(run)


# -- PairS rankings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankOptions:
    method: str = "greedy"  # greedy | beam
    calibrate: bool = False
    beam_size: int = 20
    gap: float = 0.1

    def search(self) -> SearchMethod:
        if self.method not in ("greedy", "beam"):
            raise ConfigError(f"method must be greedy or beam, not {self.method!r}")
        if self.beam_size < 1 or not 0.0 <= self.gap <= 0.5:
            raise ConfigError(
                f"beam_size must be >= 1 and gap in [0, 0.5] (got {self.beam_size}, {self.gap})"
            )
        return cast(Literal["greedy", "beam"], self.method)


def judge_rank(
    questions: QuestionsLike,
    answers: AnswersLike,
    setup: JudgeSetup,
    options: RankOptions,
    store: StoreTarget = None,
    *,
    progress: bool = False,
) -> JudgeRankResult:
    """PairS: rank the answers to each question with O(N log N) judgements."""
    setup.check()
    options.search()
    inputs = load_inputs(questions, answers)
    with StoreHandle(store) as handle:
        return asyncio.run(_rank(inputs, setup, options, handle, progress))


async def _rank(
    inputs: JudgeInputs, setup: JudgeSetup, options: RankOptions, store: StoreHandle, progress: bool
) -> JudgeRankResult:
    work = rank_work(inputs.questions, inputs.answers)
    bound = sum(merge_sort_worst_case(len(c)) for _, c in work) * (2 if options.calibrate else 1)
    recorded = _options(
        inputs,
        method=options.method,
        calibrate=options.calibrate,
        beam_size=options.beam_size,
        gap=options.gap,
    )
    async with judging(setup, TASK_RANK, recorded, store) as run:
        with JudgeProgress(bound, enabled=progress, description="ranking", session=run.session) as bar:
            rankings = await rank_all(
                run.judge, work, method=options.search(), calibrate=options.calibrate,
                beam_size=options.beam_size, gap=options.gap, progress=bar.advance,
            )  # fmt: skip
    return JudgeRankResult(run.judge.name, tuple(rankings), calls=_calls(run))
