"""`assay tasks list|show`: what can be evaluated, and what one task is (version, citation, metrics)."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from assay.cli import output

tasks_app = typer.Typer(
    no_args_is_help=False,
    invoke_without_command=True,
    help="Registered tasks and suites; `show NAME` (or a task file) for details.",
)
console = Console()
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _describe(name: str) -> dict[str, Any]:
    """A task's card. Building it loads no data, except for task files (they are validated)."""
    import assay.tasks  # noqa: F401
    from assay.core.registry import suites, tasks
    from assay.tasks.spec import is_spec_path, load_task_spec

    if name in suites:
        return {
            "name": name,
            "kind": "suite",
            "tasks": [{"task": t, "options": o} for t, o in suites.get(name)()],
        }
    if is_spec_path(name):
        task: Any = load_task_spec(name)
        spec = task.spec
        return {
            "name": spec.name,
            "kind": "task file",
            "path": str(spec.source),
            "version": spec.version,
            "output_type": spec.output.type,
            "metrics": list(spec.metrics),
            "citation": spec.citation,
            "description": spec.description,
            "fewshot": spec.fewshot.num,
            "samples": sum(1 for _ in task.samples()),
        }
    factory = tasks.get(name)
    options = {
        p.name: (None if p.default is inspect.Parameter.empty else p.default)
        for p in inspect.signature(factory).parameters.values()
    }
    card: dict[str, Any] = {
        "name": name,
        "kind": "task",
        "options": options,
        "description": (inspect.getdoc(factory) or "").split("\n\n")[0],
    }
    try:
        task = factory()  # most tasks build without data; the ones needing a path say so
    except Exception as exc:  # a task that needs options cannot describe more of itself
        card["note"] = f"needs options to build: {str(exc).splitlines()[0] if str(exc) else exc}"
        return card
    for attr in ("version", "output_type", "metric_names", "citation"):
        if hasattr(task, attr):
            card[attr] = getattr(task, attr)
    module_doc = inspect.getdoc(inspect.getmodule(type(task)))
    if module_doc and not card["description"]:
        card["description"] = module_doc.split("\n\n")[0]
    return card


@tasks_app.callback()
def _default(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    if ctx.invoked_subcommand is None:
        list_tasks(as_json=as_json)


@tasks_app.command("list")
def list_tasks(as_json: JsonOpt = False) -> None:
    """Registered tasks and suites."""
    import assay.tasks  # noqa: F401
    from assay.core.registry import suites, tasks

    data = {"tasks": tasks.names(), "suites": suites.names()}
    output.emit_json(data) if as_json else output.print_names(console, data)


@tasks_app.command("show")
def show_task(
    name: Annotated[str, typer.Argument(help="A task or suite name, or a task file (.yaml/.toml).")],
    as_json: JsonOpt = False,
) -> None:
    """One task's card: version, output type, metrics, citation, options."""
    card = _describe(name)
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
