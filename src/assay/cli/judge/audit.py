"""`assay judge agreement` and `assay judge stats`: how far a judge can be trusted."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from assay.cli.judge.options import JsonOpt
from assay.cli.judge.views import print_agreement, print_stats
from assay.cli.output import emit_json
from assay.core.errors import DatasetError


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
        print_agreement(name, report)


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
        print_stats(stats)
