"""`assay judge ...`: LLM-as-a-judge verdicts, grades, PairS rankings, agreement with humans."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from assay.cli.output import emit_json
from assay.core.errors import AssayError, ConfigError, DatasetError

if TYPE_CHECKING:
    from assay.judge.judges import Judge
    from assay.judge.prompts import PromptTemplate
    from assay.judge.types import Answer, Question

judge_app = typer.Typer(
    no_args_is_help=True,
    help="LLM-as-a-judge: pairwise verdicts (both orders), grades, PairS rankings, agreement with humans.",
)
console = Console()

JudgeOpt = Annotated[
    str | None,
    typer.Option(
        "--judge",
        help="Judge model: a built-in model (smollm2-135m), openai:NAME, llama.cpp:/m.gguf, hf:/dir.",
    ),
]
KindOpt = Annotated[
    str,
    typer.Option(
        "--kind",
        help="Registered judge: llm (a prompted model) or length (baseline: the longer answer wins).",
    ),
]
QuestionsOpt = Annotated[
    Path, typer.Option("--questions", help="Questions JSONL (FastChat question.jsonl fits).")
]
AnswersOpt = Annotated[
    list[Path],
    typer.Option(
        "--answers", help="Answers JSONL, or a directory of them (FastChat model_answer/). Repeatable."
    ),
]
ModelsOpt = Annotated[
    list[str] | None, typer.Option("--model", help="Only these answering models. Repeatable.")
]
TurnsOpt = Annotated[str, typer.Option("--turns", help="all | first | last turn of each question.")]
PromptsOpt = Annotated[
    Path | None,
    typer.Option(
        "--prompts", help="YAML file replacing built-in templates (assay judge prompts lists them)."
    ),
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="SQLite file or postgresql:// URL (default: $ASSAY_DB or the user data dir)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
OutOpt = Annotated[
    Path | None, typer.Option("--out", "-o", help="Write every judgement (raw judge text included) as JSONL.")
]
VerdictsOpt = Annotated[
    str,
    typer.Option(
        "--verdicts",
        help="text (parse [[A]]/[[B]]/[[C]] from the judge's answer) | probabilities (A or B by the "
        "judge's token probabilities of [[A]] and [[B]]; needs a backend with log-likelihoods).",
    ),
]
ProgressOpt = Annotated[bool, typer.Option(help="Show a progress bar.")]


def _templates(path: Path | None) -> dict[str, PromptTemplate] | None:
    from assay.judge.prompt_file import load_prompt_file

    return load_prompt_file(path) if path is not None else None


def _build_judge(judge: str | None, kind: str, prompts: Path | None, verdicts: str = "text") -> Judge:
    from assay.judge.judges import judges
    from assay.models import build_model, parse_model

    if verdicts not in ("text", "probabilities"):
        raise ConfigError(f"--verdicts must be text or probabilities, not {verdicts!r}")
    factory = judges.get(kind)
    model = build_model(parse_model(judge)) if judge else None
    options = {"verdicts": verdicts} if verdicts != "text" else {}
    return factory(model, _templates(prompts), **options)


def _inputs(questions: Path, answers: list[Path]) -> tuple[list[Question], list[Answer]]:
    from assay.judge.files import read_answers, read_questions

    if not answers:
        raise ConfigError("give at least one --answers file or directory")
    return read_questions(questions), read_answers(answers)


def _check_out(out: Path | None) -> None:
    from assay.judge.files import check_writable

    if out is not None:
        check_writable(out)


def _turns(value: str) -> Any:
    if value not in ("all", "first", "last"):
        raise ConfigError(f"--turns must be all, first or last, not {value!r}")
    return value


def _run(judge: Judge, work: Any) -> Any:
    async def main() -> Any:
        try:
            return await work
        finally:
            await judge.aclose()

    return asyncio.run(main())


@judge_app.command("pairwise")
def pairwise_cmd(
    questions: QuestionsOpt,
    answers: AnswersOpt,
    judge: JudgeOpt = None,
    kind: KindOpt = "llm",
    model: ModelsOpt = None,
    turns: TurnsOpt = "all",
    swap: Annotated[
        bool, typer.Option(help="Judge every pair in both orders (a disagreement is a tie).")
    ] = True,
    verdicts: VerdictsOpt = "text",
    prompts: PromptsOpt = None,
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
    db: DbOpt = None,
    out: OutOpt = None,
    progress: ProgressOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """Judge every pair of models on every question, in both orders; battles -> Bradley-Terry."""
    from assay.engine.progress import RunProgress
    from assay.judge.files import write_jsonl
    from assay.judge.leaderboard import battle_source, judge_leaderboard, judgements_to_battles
    from assay.judge.position import position_stats
    from assay.judge.records import judgement_record
    from assay.judge.run import judge_pairs, pair_jobs

    if ci not in ("bootstrap", "sandwich", "none"):
        raise ConfigError(f"--ci must be bootstrap, sandwich or none, not {ci!r}")
    _check_out(out)
    qs, ans = _inputs(questions, answers)
    choice = _turns(turns)
    total = len(pair_jobs(qs, ans, models=model, turns=choice))
    the_judge = _build_judge(judge, kind, prompts, verdicts)
    with RunProgress(total, enabled=progress and not as_json, description="judging") as bar:
        judged = _run(
            the_judge,
            judge_pairs(
                the_judge,
                qs,
                ans,
                models=model,
                turns=choice,
                swap=swap,
                progress=lambda n: bar.advance(steps=n),
            ),
        )
    battles = judgements_to_battles(judged)
    added = _store_battles(db, battles, battle_source(the_judge.name)) if store and not battles.empty else 0
    if out is not None:  # after the battles are safe in the store
        write_jsonl(out, (judgement_record(j) for j in judged))
    stats = position_stats(judged)
    if not as_json:
        _print_stats(stats)  # shown even when too few verdicts were readable to rate
    kept = []
    if store and not as_json:
        kept.append(f"stored {added} new battles as source {battle_source(the_judge.name)!r}")
    if out is not None and not as_json:
        kept.append(f"wrote {out}")
    try:
        table = judge_leaderboard(battles, prior=prior, ci=ci)
    except AssayError as exc:  # the verdicts are kept; say so, and how to rate them
        hint = " (e.g. --prior 1)" if "prior" in str(exc) and prior == 0 else ""
        raise AssayError(f"{exc}{hint}" + "".join(f"; {k}" for k in kept)) from None
    _report_pairwise(the_judge, judged, stats, table, added, as_json=as_json)
    for line in kept:
        console.print(line)


def _report_pairwise(
    judge: Judge, judged: list[Any], stats: list[Any], table: Any, added: int, *, as_json: bool
) -> None:
    if as_json:
        emit_json(
            {
                "judge": judge.name,
                "identity": judge.identity(),
                "pairs": len(judged),
                "errors": sum(j.winner is None for j in judged),
                "battles_stored": added,
                "position": [asdict(s) for s in stats],
                "leaderboard": table.to_dict(),
            }
        )
        return
    _print_ratings(
        table,
        f"judge {judge.name} — Bradley-Terry over {sum(r.battles for r in table.rows) // 2} judged pairs",
    )


def _store_battles(db: str | None, battles: Any, source: str) -> int:
    from assay.store import Store
    from assay.store.battles import put_battles

    with Store.open(db) as store:
        return put_battles(store, battles, source=source)


@judge_app.command("grade")
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
    from assay.judge.files import write_jsonl
    from assay.judge.leaderboard import grade_summary
    from assay.judge.records import grade_record
    from assay.judge.run import grade_answers, grade_jobs

    _check_out(out)
    qs, ans = _inputs(questions, answers)
    total = len(grade_jobs(qs, ans, models=model, turns=_turns(turns)))
    the_judge = _build_judge(judge, kind, prompts)
    with RunProgress(total, enabled=progress and not as_json, description="grading") as bar:
        grades = _run(
            the_judge,
            grade_answers(
                the_judge, qs, ans, models=model, turns=_turns(turns), progress=lambda n: bar.advance(steps=n)
            ),
        )
    if out is not None:
        write_jsonl(out, (grade_record(g) for g in grades))
    rows = grade_summary(grades)
    if as_json:
        emit_json({"judge": the_judge.name, "models": rows})
        return
    view = Table(title=f"judge {the_judge.name} — mean rating (1-10)")
    for column in ("model", "mean rating", "graded", "errors"):
        view.add_column(column, justify="left" if column == "model" else "right")
    for r in rows:
        mean = "-" if r["mean_rating"] is None else f"{r['mean_rating']:.2f}"
        view.add_row(Text(r["model"]), mean, str(r["graded"]), str(r["errors"]))
    console.print(view)


@judge_app.command("rank")
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
    from assay.judge.pairs import SearchMethod, merge_sort_worst_case
    from assay.judge.run import index_answers, rank_candidates

    if method not in ("greedy", "beam"):
        raise ConfigError(f"--method must be greedy or beam, not {method!r}")
    qs, ans = _inputs(questions, answers)
    table = index_answers(ans)
    work = [(q, [table[q.id][m] for m in sorted(table.get(q.id, {}))]) for q in qs]
    work = [(q, c) for q, c in work if len(c) >= 2]
    if not work:
        raise DatasetError("nothing to rank: no question has two or more answers")
    the_judge = _build_judge(judge, kind, prompts)
    search: SearchMethod = "beam" if method == "beam" else "greedy"
    bound = sum(merge_sort_worst_case(len(c)) for _, c in work) * (2 if calibrate else 1)

    async def all_questions(bar: RunProgress) -> list[Any]:
        return [
            await rank_candidates(
                the_judge,
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

    with RunProgress(bound, enabled=progress and not as_json, description="ranking") as bar:
        rankings = _run(the_judge, all_questions(bar))
    if as_json:
        emit_json({"judge": the_judge.name, "rankings": [asdict(r) for r in rankings]})
        return
    for r in rankings:
        n = len(r.order)
        console.print(f"[bold]{r.question_id}[/bold]: {' > '.join(r.order)}")
        console.print(
            f"  PairS-{r.method} from {r.source}: {r.comparisons} of {n * (n - 1) // 2} pairs, "
            f"{r.judge_calls} judge calls" + (f", {r.errors} unreadable verdicts" if r.errors else "")
        )


@judge_app.command("agreement")
def agreement_cmd(
    human: Annotated[
        Path,
        typer.Argument(
            help="Human votes (JSON list or JSONL: question_id, model_a, model_b, winner, judge, turn)."
        ),
    ],
    judged: Annotated[
        Path,
        typer.Argument(
            help="Judge votes in the same columns, e.g. the --out file of `assay judge pairwise`."
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Judge-human agreement (with and without ties) next to human-human agreement."""
    from assay.judge.agreement import agreement_report, vote_from_record
    from assay.judge.files import read_records, read_votes

    humans = read_votes(human)
    records = [(w, r) for w, r in read_records(judged) if r.get("winner") is not None]  # errors: no vote
    votes = [vote_from_record(r, where=w) for w, r in records]
    per_judge: dict[str, list[Any]] = {}
    for vote in votes:
        per_judge.setdefault(vote.judge, []).append(vote)
    if not per_judge:
        raise DatasetError(f"{judged}: no judge votes with a winner")
    reports = {name: agreement_report(v, humans) for name, v in sorted(per_judge.items())}
    if as_json:
        emit_json(reports)
        return
    for name, report in reports.items():
        view = Table(title=f"agreement of judge {name} with {report['human_votes']} human votes")
        for column in (
            "turn",
            "judge-human w/ ties",
            "judge-human w/o ties",
            "human-human w/ ties",
            "human-human w/o ties",
        ):
            view.add_column(column, justify="right")
        for row in report["rows"]:
            view.add_row(
                str(row["turn"]),
                *(
                    _share(row[k])
                    for k in (
                        "judge_human_with_ties",
                        "judge_human_without_ties",
                        "human_human_with_ties",
                        "human_human_without_ties",
                    )
                ),
            )
        console.print(view)


def _share(cell: dict[str, Any]) -> str:
    return "-" if cell["rate"] is None else f"{cell['rate']:.1%} ({cell['agree']}/{cell['total']})"


@judge_app.command("stats")
def stats_cmd(
    judgements: Annotated[Path, typer.Argument(help="The --out file of `assay judge pairwise`.")],
    as_json: JsonOpt = False,
) -> None:
    """Position and length bias of each judge in a judgements file."""
    from assay.judge.files import read_records
    from assay.judge.position import position_stats
    from assay.judge.records import judgement_from_record

    judged = []
    for where, record in read_records(judgements):
        try:
            judged.append(judgement_from_record(record))
        except KeyError as exc:
            raise DatasetError(
                f"{where}: not a judgement of `assay judge pairwise` (no field {exc})"
            ) from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise DatasetError(f"{where}: not a judgement of `assay judge pairwise` ({exc})") from None
    if not judged:
        raise DatasetError(f"{judgements}: no judgements (the --out file of `assay judge pairwise`)")
    stats = position_stats(judged)
    if as_json:
        emit_json([asdict(s) for s in stats])
    else:
        _print_stats(stats)


@judge_app.command("prompts")
def prompts_cmd(
    name: Annotated[str | None, typer.Argument(help="Show this template in full.")] = None,
    prompts: PromptsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The judge prompt templates and their versions (with --prompts: after your overrides)."""
    from assay.judge.prompts import BUILTIN_TEMPLATES

    templates = _templates(prompts) or dict(BUILTIN_TEMPLATES)
    if name is not None and name not in templates:
        raise ConfigError(f"unknown template {name!r} (known: {', '.join(templates)})")
    chosen = [templates[name]] if name else list(templates.values())
    if as_json:
        emit_json([asdict(t) for t in chosen])
        return
    for t in chosen:
        console.print(f"[bold]{t.name}[/bold]  version {t.version}")
        if name:
            console.print(Text(f"--- system ---\n{t.system}\n--- user ---\n{t.user}"))


def _print_stats(stats: list[Any]) -> None:
    view = Table(title="judge position and length bias")
    for column in (
        "judge",
        "pairs",
        "errors",
        "first-position wins",
        "consistency",
        "ties",
        "longer answer wins",
    ):
        view.add_column(column, justify="left" if column == "judge" else "right")
    for s in stats:
        cells = [s.first_position_win_rate, s.consistency, s.tie_rate, s.longer_answer_win_rate]
        view.add_row(
            Text(s.judge), str(s.pairs), str(s.errors), *("-" if c is None else f"{c:.1%}" for c in cells)
        )
    console.print(view)


def _print_ratings(table: Any, title: str) -> None:
    view = Table(title=title)
    for column in ("rank", "model", "rating", f"{table.level:.0%} CI", "battles"):
        view.add_column(column, justify="left" if column == "model" else "right")
    for row in table.rows:
        interval = "-" if table.interval == "none" else f"{row.lower:.0f} – {row.upper:.0f}"
        view.add_row(str(row.rank), Text(row.model), f"{row.rating:.1f}", interval, str(row.battles))
    console.print(view)
    for note in table.notes:
        console.print(f"[dim]note: {note}[/dim]")
