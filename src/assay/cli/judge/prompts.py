"""`assay judge prompts`: the judge prompt templates and their versions."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.text import Text

from assay.api import judge_prompts
from assay.cli.judge.options import PromptsOpt
from assay.cli.judge.views import console
from assay.cli.options import JsonOpt, emit_json


def prompts_cmd(
    name: Annotated[str | None, typer.Argument(help="Show this template in full.")] = None,
    prompts: PromptsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The judge prompt templates and their versions (with --prompts: after your overrides)."""
    chosen = judge_prompts(name, prompts)
    if as_json:
        emit_json([asdict(t) for t in chosen])
        return
    for t in chosen:
        console.print(f"[bold]{t.name}[/bold]  version {t.version}")
        if name:
            console.print(Text(f"--- system ---\n{t.system}\n--- user ---\n{t.user}"))
