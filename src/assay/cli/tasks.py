"""`assay tasks list|show`: what can be evaluated, and what one task is (version, citation, metrics)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

import assay
from assay.cli import output
from assay.cli.options import JsonOpt, console

tasks_app = typer.Typer(
    no_args_is_help=False,
    invoke_without_command=True,
    help="Registered tasks and suites; `show NAME` (or a task file) for details.",
)


@tasks_app.callback()
def _default(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    if ctx.invoked_subcommand is None:
        list_tasks(as_json=as_json)


@tasks_app.command("list")
def list_tasks(as_json: JsonOpt = False) -> None:
    """Registered tasks and suites."""
    data = assay.task_names()
    output.emit_json(data) if as_json else output.print_names(console, data)


@tasks_app.command("show")
def show_task(
    name: Annotated[str, typer.Argument(help="A task or suite name, or a task file (.yaml/.toml).")],
    as_json: JsonOpt = False,
) -> None:
    """One task's card: version, output type, metrics, citation, options."""
    card = assay.task_card(name)
    if as_json:
        output.emit_json(card)
        return
    table = Table(title=f"{card['kind']} {card['name']}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in card.items():
        if key in ("name", "kind"):
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        table.add_row(key, Text(shown))
    console.print(table)
