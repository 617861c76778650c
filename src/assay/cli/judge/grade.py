"""`assay judge grade` (single answers on a 1-10 scale) and `assay judge rank` (PairS)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assay.cli.judge.helpers import build_judge, check_out, check_turns, read_inputs, run_judge
from assay.cli.judge.options import (
    AnswersOpt,
    JsonOpt,
    JudgeOpt,
    KindOpt,
    ModelsOpt,
    OutOpt,
    ProgressOpt,
    PromptsOpt,
    QuestionsOpt,
    TurnsOpt,
)
from assay.cli.judge.views import print_grades, print_rankings
from assay.cli.output import emit_json
from assay.core.errors import ConfigError, DatasetError

if TYPE_CHECKING:
    from assay.engine.progress import RunProgress
    from assay.judge.judges import Judge
    from assay.judge.types import Answer, Question


def grade_cmd(
    questions: QuestionsOpt,
    answers: AnswersOpt,
    judge: JudgeOpt = None,
    kind: KindOpt = "llm",
    model: ModelsOpt = None,
    turns: TurnsOpt = "all",
    prompts: PromptsOpt = None,
    out: OutOpt = None,
    progress: ProgressOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """Single-answer grading on a 1-10 scale (reference-guided when a question has a reference)."""
    from assay.engine.progress import RunProgress
    from assay.io import write_jsonl
    from assay.judge.leaderboard import grade_summary
    from assay.judge.records import grade_record
    from assay.judge.run import grade_answers, grade_jobs

    check_out(out)
    qs, ans = read_inputs(questions, answers)
    total = len(grade_jobs(qs, ans, models=model, turns=check_turns(turns)))
    the_judge = build_judge(judge, kind, prompts)
    with RunProgress(total, enabled=progress and not as_json, description="grading") as bar:
        grades = run_judge(
            the_judge,
            grade_answers(
                the_judge,
                qs,
                ans,
                models=model,
                turns=check_turns(turns),
                progress=lambda n: bar.advance(steps=n),
            ),
        )
    if out is not None:
        write_jsonl(out, (grade_record(g) for g in grades))
    rows = grade_summary(grades)
    if as_json:
        emit_json({"judge": the_judge.name, "models": rows})
        return
    print_grades(the_judge.name, rows)


def rank_cmd(
    questions: QuestionsOpt,
    answers: AnswersOpt,
    judge: JudgeOpt = None,
    kind: KindOpt = "llm",
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
    progress: ProgressOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """PairS: rank the answers to each question (e.g. 16 summaries) with O(N log N) judgements."""
    from assay.engine.progress import RunProgress
    from assay.judge.pairs import merge_sort_worst_case

    if method not in ("greedy", "beam"):
        raise ConfigError(f"--method must be greedy or beam, not {method!r}")
    work = _rank_work(questions, answers)
    the_judge = build_judge(judge, kind, prompts)
    bound = sum(merge_sort_worst_case(len(c)) for _, c in work) * (2 if calibrate else 1)
    with RunProgress(bound, enabled=progress and not as_json, description="ranking") as bar:
        ranking = _rank_all(the_judge, work, bar, method, calibrate=calibrate, beam_size=beam_size, gap=gap)
        rankings = run_judge(the_judge, ranking)
    if as_json:
        emit_json({"judge": the_judge.name, "rankings": [asdict(r) for r in rankings]})
        return
    print_rankings(rankings)


def _rank_work(questions: Path, answers: list[Path]) -> list[tuple[Question, list[Answer]]]:
    """Each question with two or more answers, and its answers ordered by model."""
    from assay.judge.run import index_answers

    qs, ans = read_inputs(questions, answers)
    table = index_answers(ans)
    work = [(q, [table[q.id][m] for m in sorted(table.get(q.id, {}))]) for q in qs]
    work = [(q, c) for q, c in work if len(c) >= 2]
    if not work:
        raise DatasetError("nothing to rank: no question has two or more answers")
    return work


async def _rank_all(
    judge: Judge,
    work: list[tuple[Question, list[Answer]]],
    bar: RunProgress,
    method: str,
    *,
    calibrate: bool,
    beam_size: int,
    gap: float,
) -> list[Any]:
    from assay.judge.pairs import SearchMethod
    from assay.judge.run import rank_candidates

    search: SearchMethod = "beam" if method == "beam" else "greedy"
    return [
        await rank_candidates(
            judge,
            q,
            c,
            method=search,
            calibrate=calibrate,
            beam_size=beam_size,
            gap=gap,
            progress=lambda n: bar.advance(steps=n),
        )
        for q, c in work
    ]
