"""`assay judge prompts`: the judge prompt templates and their versions."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.text import Text

from assay.cli.judge.helpers import templates
from assay.cli.judge.options import JsonOpt, PromptsOpt
from assay.cli.judge.views import console
from assay.cli.output import emit_json
from assay.core.errors import ConfigError


def prompts_cmd(
    name: Annotated[str | None, typer.Argument(help="Show this template in full.")] = None,
    prompts: PromptsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The judge prompt templates and their versions (with --prompts: after your overrides)."""
    from assay.judge.prompts import BUILTIN_TEMPLATES

    known = templates(prompts) or dict(BUILTIN_TEMPLATES)
    if name is not None and name not in known:
        raise ConfigError(f"unknown template {name!r} (known: {', '.join(known)})")
    chosen = [known[name]] if name else list(known.values())
    if as_json:
        emit_json([asdict(t) for t in chosen])
        return
    for t in chosen:
        console.print(f"[bold]{t.name}[/bold]  version {t.version}")
        if name:
            console.print(Text(f"--- system ---\n{t.system}\n--- user ---\n{t.user}"))
