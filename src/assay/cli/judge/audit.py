"""`assay judge agreement` and `assay judge stats`: how far a judge can be trusted."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from assay.api import judge_agreement, judge_stats
from assay.cli.judge.views import print_agreement, print_stats
from assay.cli.options import JsonOpt, emit_json


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
    reports = judge_agreement(human, judged)
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
    stats = judge_stats(judgements)
    if as_json:
        emit_json([asdict(s) for s in stats])
    else:
        print_stats(stats)
