"""`assay judge pairwise`: every pair of models judged in both orders; battles -> Bradley-Terry."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assay.cli.judge.helpers import build_judge, check_out, check_turns, read_inputs, run_judge
from assay.cli.judge.options import (
    AnswersOpt,
    DbOpt,
    JsonOpt,
    JudgeOpt,
    KindOpt,
    ModelsOpt,
    OutOpt,
    ProgressOpt,
    PromptsOpt,
    QuestionsOpt,
    TurnsOpt,
    VerdictsOpt,
)
from assay.cli.judge.views import console, print_ratings, print_stats
from assay.cli.output import emit_json
from assay.core.errors import AssayError, ConfigError

if TYPE_CHECKING:
    from assay.judge.judges import Judge


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
    from assay.judge.leaderboard import battle_source, judgements_to_battles
    from assay.judge.position import position_stats

    if ci not in ("bootstrap", "sandwich", "none"):
        raise ConfigError(f"--ci must be bootstrap, sandwich or none, not {ci!r}")
    check_out(out)
    the_judge, judged = _judge_pairs(
        questions, answers, judge, kind, model, turns, swap, verdicts, prompts, progress and not as_json
    )
    battles = judgements_to_battles(judged)
    source = battle_source(the_judge.name)
    added = _keep(judged, battles, source, db=db, store=store, out=out)
    stats = position_stats(judged)
    if not as_json:
        print_stats(stats)  # shown even when too few verdicts were readable to rate
    kept = [] if as_json else _kept(added, source, store=store, out=out)
    table = _rate(battles, prior, ci, kept)
    _report(the_judge, judged, stats, table, added, as_json=as_json)
    for line in kept:
        console.print(line)


def _judge_pairs(
    questions: Path,
    answers: list[Path],
    judge: str | None,
    kind: str,
    model: list[str] | None,
    turns: str,
    swap: bool,
    verdicts: str,
    prompts: Path | None,
    progress: bool,
) -> tuple[Judge, list[Any]]:
    """Read the inputs, then build the judge and judge every pair (with a progress bar if asked)."""
    from assay.engine.progress import RunProgress
    from assay.judge.run import judge_pairs, pair_jobs

    qs, ans = read_inputs(questions, answers)
    choice = check_turns(turns)
    total = len(pair_jobs(qs, ans, models=model, turns=choice))
    the_judge = build_judge(judge, kind, prompts, verdicts)
    with RunProgress(total, enabled=progress, description="judging") as bar:
        judged = run_judge(
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
    return the_judge, judged


def _keep(
    judged: list[Any], battles: Any, source: str, *, db: str | None, store: bool, out: Path | None
) -> int:
    """Store the battles (if asked), then write the judgements to --out; the new battles stored."""
    from assay.io import write_jsonl
    from assay.judge.records import judgement_record

    added = _store_battles(db, battles, source) if store and not battles.empty else 0
    if out is not None:  # after the battles are safe in the store
        write_jsonl(out, (judgement_record(j) for j in judged))
    return added


def _kept(added: int, source: str, *, store: bool, out: Path | None) -> list[str]:
    """What was kept, to say at the end (or in the error when the verdicts cannot be rated)."""
    kept = []
    if store:
        kept.append(f"stored {added} new battles as source {source!r}")
    if out is not None:
        kept.append(f"wrote {out}")
    return kept


def _store_battles(db: str | None, battles: Any, source: str) -> int:
    from assay.store import Store
    from assay.store.battles import put_battles

    with Store.open(db) as store:
        return put_battles(store, battles, source=source)


def _rate(battles: Any, prior: float, ci: str, kept: list[str]) -> Any:
    """The Bradley-Terry leaderboard; if it cannot be fitted, say what was kept and how to rate it."""
    from assay.judge.leaderboard import judge_leaderboard

    try:
        return judge_leaderboard(battles, prior=prior, ci=ci)
    except AssayError as exc:  # the verdicts are kept; say so, and how to rate them
        hint = " (e.g. --prior 1)" if "prior" in str(exc) and prior == 0 else ""
        raise AssayError(f"{exc}{hint}" + "".join(f"; {k}" for k in kept)) from None


def _report(
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
    print_ratings(
        table,
        f"judge {judge.name} — Bradley-Terry over {sum(r.battles for r in table.rows) // 2} judged pairs",
    )
