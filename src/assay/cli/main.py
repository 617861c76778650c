"""`assay` command line: thin wrappers over the Python API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

import assay
from assay.cli import output
from assay.cli.arena import arena_app
from assay.cli.compare import compare_cmd
from assay.cli.contamination import contamination_app, drift_cmd
from assay.cli.judge import judge_app
from assay.cli.options import (
    DbOpt,
    EpochsOpt,
    EpochsReducerOpt,
    GridIntensityOpt,
    GroupOpt,
    JsonOpt,
    PerturbOpt,
    PriceInputOpt,
    PriceOutputOpt,
    PricesFileOpt,
    ProgressOpt,
    ToxicityOpt,
    UntilCiOpt,
    WattsPerCoreOpt,
    console,
    err,
)
from assay.cli.power import power_cmd
from assay.cli.safety import safety_app
from assay.cli.serve import serve_app
from assay.cli.tasks import tasks_app
from assay.cli.transparency import transparency_app
from assay.cli.trends import trends_app
from assay.core.errors import AssayError, ConfigError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Evaluate, rank and audit AI foundation models.",
)


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
    shuffle: Annotated[
        bool,
        typer.Option(
            "--shuffle",
            help="With --limit: a random subset of each task, drawn with --seed (the same on every "
            "machine and for every model), instead of its first samples.",
        ),
    ] = False,
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
    executor: Annotated[
        str, typer.Option(help="Where model calls run: local (this process) or ray (a Ray cluster).")
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option(
            help="With --executor ray: auto, HOST:PORT or ray://HOST:PORT (default: start a local Ray)."
        ),
    ] = None,
    executor_arg: Annotated[
        list[str] | None,
        typer.Option("--executor-arg", help="Executor option KEY=VALUE, e.g. lease_s=10 for ray."),
    ] = None,
    until_ci: UntilCiOpt = None,
    epochs: EpochsOpt = 1,
    epochs_reducer: EpochsReducerOpt = "mean",
    perturb: PerturbOpt = None,
    toxicity: ToxicityOpt = None,
    price_per_1k_input: PriceInputOpt = None,
    price_per_1k_output: PriceOutputOpt = None,
    prices: PricesFileOpt = None,
    watts_per_core: WattsPerCoreOpt = None,
    grid_g_per_kwh: GridIntensityOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    progress: ProgressOpt = True,
) -> None:
    """Evaluate models on tasks; results go to the store, a leaderboard to the terminal."""
    if spec_file is not None and (model or task):
        raise ConfigError("give either --spec or --model/--task, not both")
    model_args = assay.parse_key_values(model_arg or [], "--model-arg")
    model_args.update({"base_url": base_url} if base_url else {})
    model_args.update({"api_key_env": api_key_env} if api_key_env else {})
    holistic: dict[str, Any] = {
        "perturb": perturb,
        "toxicity": toxicity,
        "prices": assay.load_prices(
            prices, per_1k_input=price_per_1k_input, per_1k_output=price_per_1k_output
        ),
        "energy": {
            k: v
            for k, v in (("watts_per_core", watts_per_core), ("grid_g_per_kwh", grid_g_per_kwh))
            if v is not None
        },
    }
    if spec_file is not None:
        if until_ci is not None or epochs != 1 or epochs_reducer != "mean":
            raise ConfigError("with --spec, give until_ci, epochs and epochs_reducer in the spec file")
        spec = assay.load_spec(spec_file, unsafe_no_sandbox=unsafe_no_sandbox, **holistic)
    else:
        spec = assay.build_spec(
            model or None,
            task or None,
            task_args=task_arg or [],
            limit=limit,
            seed=seed,
            prompt_mode=prompt_mode,
            model_args=model_args,
            sample_ids=sample_id,
            shuffle=shuffle,
            max_attempts=max_attempts,
            timeout=timeout,
            unsafe_no_sandbox=unsafe_no_sandbox,
            executor=executor,
            executor_options={
                **assay.parse_key_values(executor_arg or [], "--executor-arg"),
                **({"address": ray_address} if ray_address else {}),
            },
            until_ci=until_ci,
            epochs=epochs,
            epochs_reducer=epochs_reducer,
            **holistic,
        )
    with assay.open_store(db) as store:
        result = assay.evaluate(spec=spec, store=store, progress=progress and not as_json)
        output.print_run_result(console, result, assay.overview(result, store=store), as_json=as_json)
        if report is not None:
            path = assay.report(result, report, store=store)
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
    group: GroupOpt = None,
) -> None:
    """Models x tasks with the headline metric, ranked by mean win rate (and per metric group)."""
    board = assay.leaderboard(run_id, store=db)
    if group is not None:
        board.group(group)  # an unknown group name fails here, with the known ones
    output.print_leaderboard(console, board, as_json=as_json, as_csv=as_csv, group=group)


@app.command()
def runs(db: DbOpt = None, limit: int = 20, as_json: JsonOpt = False) -> None:
    """List recent runs."""
    output.print_runs(console, assay.runs(limit, store=db), as_json=as_json)


@app.command()
def show(
    run_id: Annotated[str, typer.Argument(help="Run id, a unique prefix, or 'latest'.")],
    wrong: Annotated[bool, typer.Option("--wrong", help="Only samples scored below 1.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many samples.")] = 20,
    transcript: Annotated[
        str | None, typer.Option("--transcript", help="An agent sample's turns, step by step (its id).")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="With --transcript: the model, if the run has several.")
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per-sample view of a run: prompt, response, extracted answer, score; or one agent transcript."""
    if transcript is not None:
        output.print_transcript(
            console, assay.transcript(run_id, transcript, model=model, store=db), as_json=as_json
        )
        return
    records = assay.samples(run_id, wrong=wrong, limit=limit, store=db)
    output.print_samples(console, records, as_json=as_json)
    if not as_json:
        output.print_measurement(console, assay.get_run(run_id, store=db))


@app.command()
def export(
    run_id: Annotated[str, typer.Argument(help="Run id, a unique prefix, or 'latest'.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file (.json, .csv or .parquet).")],
    db: DbOpt = None,
) -> None:
    """Export a run's per-sample results to JSON, CSV or Parquet."""
    console.print(f"wrote {assay.export(run_id, out, store=db)}")


@app.command()
def rescore(
    run_id: Annotated[str, typer.Argument(help="Run id, a unique prefix, or 'latest'.")] = "latest",
    db: DbOpt = None,
) -> None:
    """Score a run's stored answers again with the current scorers (no model is asked)."""
    console.print(f"scored {assay.rescore(run_id, store=db)} units")


@app.command("report")
def report_cmd(
    run_id: Annotated[list[str] | None, typer.Argument(help="Run ids (default: latest).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = Path("assay-report.html"),
    db: DbOpt = None,
) -> None:
    """Write a self-contained HTML report for runs."""
    console.print(f"report: {assay.report(run_id or ['latest'], out, store=db)}")


@app.command()
def models(as_json: JsonOpt = False) -> None:
    """Built-in models and backends."""
    data = assay.model_names()
    output.emit_json(data) if as_json else output.print_names(console, data)


@app.command()
def plugins(as_json: JsonOpt = False) -> None:
    """Third-party plugins (the `assay.plugins` entry-point group): which loaded, which failed and why."""
    status = assay.plugin_status()
    if as_json:
        output.emit_json(status)
        return
    for p in status["loaded"]:
        console.print(Text(f"loaded  {p['name']} = {p['target']} ({p['distribution']})"))
    for f in status["failed"]:
        console.print(Text(f"failed  {f['name']} = {f['target']}: {f['error']}", style="red"))
    if not status["loaded"] and not status["failed"]:
        console.print("no third-party plugins installed")


app.command("power")(power_cmd)
app.command("compare")(compare_cmd)
app.command("drift")(drift_cmd)
app.add_typer(contamination_app, name="contamination")
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
        _say_interrupted()
        sys.exit(130)
    except SystemExit as exc:
        # Typer turns Ctrl-C into a silent exit 130; the user should still hear that nothing is lost.
        if exc.code == 130 and _caused_by_interrupt(exc):
            _say_interrupted()
        raise


def _say_interrupted() -> None:
    err.print("interrupted: results so far are stored; run the same command again to resume")


def _caused_by_interrupt(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


if __name__ == "__main__":
    main()
