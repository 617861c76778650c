"""`assay judge ...`: LLM-as-a-judge verdicts, grades, PairS rankings, agreement with humans.

One module per command group; the commands are registered here, in the order `--help` lists them.
"""

from __future__ import annotations

import typer

from assay.cli.judge.audit import agreement_cmd, stats_cmd
from assay.cli.judge.grade import grade_cmd, rank_cmd
from assay.cli.judge.pairwise import pairwise_cmd
from assay.cli.judge.prompts import prompts_cmd

__all__ = ["judge_app"]

judge_app = typer.Typer(
    no_args_is_help=True,
    help="LLM-as-a-judge: pairwise verdicts (both orders), grades, PairS rankings, agreement with humans.",
)
judge_app.command("pairwise")(pairwise_cmd)
judge_app.command("grade")(grade_cmd)
judge_app.command("rank")(rank_cmd)
judge_app.command("agreement")(agreement_cmd)
judge_app.command("stats")(stats_cmd)
judge_app.command("prompts")(prompts_cmd)
