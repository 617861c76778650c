"""`assay` command line: thin wrappers over the Python API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from assay.cli import output
from assay.cli.arena import arena_app
from assay.cli.judge import judge_app
from assay.cli.safety import safety_app
from assay.cli.serve import serve_app
from assay.cli.tasks import tasks_app
from assay.cli.transparency import transparency_app
from assay.cli.trends import trends_app
from assay.core.errors import AssayError, ConfigError
from assay.store import Store

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Evaluate, rank and audit AI foundation models.",
)
console = Console()
err = Console(stderr=True)

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="SQLite file or postgresql:// URL (default: $ASSAY_DB or the user data dir)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _model_args(pairs: list[str], base_url: str | None, api_key_env: str | None) -> dict[str, object]:
    args: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--model-arg expects KEY=VALUE, got {pair!r}")
        args[key] = value
    if base_url:
        args["base_url"] = base_url
    if api_key_env:
        args["api_key_env"] = api_key_env
    return args


def apply_task_args(
    tasks: tuple[tuple[str, dict[str, object]], ...], pairs: list[str]
) -> tuple[tuple[str, dict[str, object]], ...]:
    """`gsm8k.num_fewshot=5` -> options of task gsm8k; numbers become ints or floats."""
    names = {name for name, _ in tasks}
    extra: dict[str, dict[str, object]] = {}
    for pair in pairs:
        target, sep, value = pair.partition("=")
        task, dot, key = target.rpartition(".")
        if not sep or not dot or not key:
            raise ConfigError(f"--task-arg expects TASK.KEY=VALUE, got {pair!r}")
        if task not in names:
            raise ConfigError(f"--task-arg {pair!r}: task {task!r} is not part of this run")
        extra.setdefault(task, {})[key] = _number_or_text(value)
    return tuple((name, {**opts, **extra.get(name, {})}) for name, opts in tasks)


def _number_or_text(value: str) -> object:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value


def default_models() -> list[str]:
    from assay.models.zoo import qwen_available

    return ["smollm2-135m", *(["qwen2.5-coder-0.5b"] if qwen_available() else [])]


@app.command()
def run(
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            help="Built-in name (smollm2-135m, "
            "qwen2.5-coder-0.5b), openai:NAME, llama.cpp:/path.gguf or hf:/dir. Repeatable.",
        ),
    ] = None,
    task: Annotated[
        list[str] | None,
        typer.Option("--task", "-t", help="Task or suite name. Repeatable. Default: the quick suite."),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many samples per task.", min=1)] = None,
    seed: Annotated[int, typer.Option(help="Seed for sampling and few-shot selection.")] = 0,
    prompt_mode: Annotated[str, typer.Option(help="auto | chat | completion (generation tasks).")] = "auto",
    sample_id: Annotated[list[str] | None, typer.Option("--sample-id", help="Only these sample ids.")] = None,
    base_url: Annotated[str | None, typer.Option(help="Base URL of an OpenAI-compatible server.")] = None,
    api_key_env: Annotated[str | None, typer.Option(help="Env var holding the API key.")] = None,
    model_arg: Annotated[
        list[str] | None, typer.Option("--model-arg", help="Backend option KEY=VALUE.")
    ] = None,
    task_arg: Annotated[
        list[str] | None,
        typer.Option(
            "--task-arg",
            help="Task option TASK.KEY=VALUE, e.g. gsm8k.num_fewshot=5 or gsm8k.path=test.jsonl.",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per request before it is retried.")] = 600.0,
    max_attempts: Annotated[int, typer.Option(help="Attempts per request (retries + 1).", min=1)] = 5,
    report: Annotated[Path | None, typer.Option(help="Also write an HTML report to this file.")] = None,
    spec_file: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            help="A YAML run spec (models, tasks, limit, "
            "seed, prompt_mode, model_args); replaces --model/--task.",
        ),
    ] = None,
    unsafe_no_sandbox: Annotated[
        bool,
        typer.Option(
            "--unsafe-no-sandbox",
            help="Run model-written code (HumanEval, code tasks) WITHOUT bubblewrap isolation, "
            "where the sandbox cannot work. Not recommended; recorded with the run.",
        ),
    ] = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Evaluate models on tasks; results go to the store, a leaderboard to the terminal."""
    from assay.engine.run import EvalSpec, evaluate, expand_tasks

    if prompt_mode not in ("auto", "chat", "completion"):
        raise ConfigError(f"--prompt-mode must be auto, chat or completion, not {prompt_mode!r}")
    if spec_file is not None:
        if model or task:
            raise ConfigError("give either --spec or --model/--task, not both")
        from assay.engine.spec_file import load_spec_file

        spec = load_spec_file(spec_file)
        if unsafe_no_sandbox:
            import dataclasses

            spec = dataclasses.replace(spec, unsafe_no_sandbox=True)
    else:
        spec = EvalSpec(
            models=tuple(model or default_models()),
            tasks=apply_task_args(expand_tasks(task or ["quick"]), task_arg or []),
            limit=limit,
            seed=seed,
            prompt_mode=prompt_mode,  # type: ignore[arg-type]
            model_args=_model_args(model_arg or [], base_url, api_key_env),
            sample_ids=tuple(sample_id) if sample_id else None,
            max_attempts=max_attempts,
            timeout=timeout,
            unsafe_no_sandbox=unsafe_no_sandbox,
        )
    with Store.open(db) as store:
        result = evaluate(spec, store, show_progress=progress and not as_json)
        output.print_run_result(console, store, result, as_json=as_json)
        if report is not None:
            path = output.write_report(store, [result.run_id], report)
            if not as_json:
                console.print(f"report: {path}")
    if result.stats.errors:
        raise typer.Exit(code=3)


@app.command()
def quickstart(
    report: Annotated[Path, typer.Option(help="Where to write the HTML report.")] = Path("assay-report.html"),
    limit: Annotated[int | None, typer.Option(help="At most this many samples per task.", min=1)] = None,
    db: DbOpt = None,
) -> None:
    """The main job: built-in models on the quick suite, a leaderboard, and an HTML report."""
    run(model=None, task=["quick"], limit=limit, report=report, db=db)


@app.command()
def leaderboard(
    run_id: Annotated[
        list[str] | None,
        typer.Option("--run", help="Only these runs (default: newest result per model and task)."),
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
) -> None:
    """Models x tasks with the headline metric, ranked by mean win rate."""
    from assay.report.leaderboard import latest_rows, win_rates

    with Store.open(db) as store:
        rows = latest_rows(store, run_id)
    output.print_leaderboard(console, rows, win_rates(rows), as_json=as_json, as_csv=as_csv)


@app.command()
def runs(db: DbOpt = None, limit: int = 20, as_json: JsonOpt = False) -> None:
    """List recent runs."""
    with Store.open(db) as store:
        output.print_runs(console, store.list_runs(limit), as_json=as_json)


@app.command()
def show(
    run_id: Annotated[str, typer.Argument(help="Run id, a unique prefix, or 'latest'.")],
    wrong: Annotated[bool, typer.Option("--wrong", help="Only samples scored below 1.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many samples.")] = 20,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per-sample view of a run: prompt, response, extracted answer, score."""
    from assay.report.leaderboard import flat_results

    with Store.open(db) as store:
        run = store.get_run(run_id)
        records = flat_results(store, run.id)
    output.print_samples(console, records, wrong=wrong, limit=limit, as_json=as_json)


@app.command()
def export(
    run_id: Annotated[str, typer.Argument(help="Run id, a unique prefix, or 'latest'.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file (.json, .csv or .parquet).")],
    db: DbOpt = None,
) -> None:
    """Export a run's per-sample results to JSON, CSV or Parquet."""
    with Store.open(db) as store:
        path = output.export_run(store, store.get_run(run_id).id, out)
    console.print(f"wrote {path}")


@app.command("report")
def report_cmd(
    run_id: Annotated[list[str] | None, typer.Argument(help="Run ids (default: latest).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = Path("assay-report.html"),
    db: DbOpt = None,
) -> None:
    """Write a self-contained HTML report for runs."""
    with Store.open(db) as store:
        ids = [store.get_run(r).id for r in (run_id or ["latest"])]
        path = output.write_report(store, ids, out)
    console.print(f"report: {path}")


@app.command()
def models(as_json: JsonOpt = False) -> None:
    """Built-in models and backends."""
    from assay.core.registry import model_aliases, model_backends
    from assay.models import load_backends

    load_backends()
    data = {"built_in": model_aliases.names(), "backends": model_backends.names()}
    output.emit_json(data) if as_json else output.print_names(console, data)


app.add_typer(arena_app, name="arena", help="Arena battles: import them, rate models with CIs.")
app.add_typer(judge_app, name="judge")
app.add_typer(safety_app, name="safety", help="Harm classification, refusals, bias and truthfulness.")
app.add_typer(serve_app, name="serve")
app.add_typer(tasks_app, name="tasks")
app.add_typer(transparency_app, name="transparency")
app.add_typer(trends_app, name="trends")


def main() -> None:
    """Entry point: user mistakes print one line and exit non-zero, never a traceback."""
    try:
        app()
    except AssayError as exc:
        err.print(Text("error: ", style="bold red") + Text(str(exc)), soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted: results so far are stored; run the same command again to resume")
        sys.exit(130)


if __name__ == "__main__":
    main()
