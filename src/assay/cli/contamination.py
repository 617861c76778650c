"""`assay contamination ...` (corpus scans, clean-subset leaderboard, Min-K%) and `assay drift MODEL`.

Each command is one call to `assay.api` and its printing; corpus and model text is printed as plain
Text, never as Rich markup."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from assay.api import (
    clean_leaderboard,
    contamination_hits,
    contamination_min_k,
    contamination_scan,
    contamination_scans,
    drift,
    parse_key_values,
)
from assay.cli.options import DbOpt, JsonOpt, ProgressOpt, console, emit_json

contamination_app = typer.Typer(
    no_args_is_help=True, help="Is a benchmark in the training data? Corpus overlap and Min-K%."
)
TaskOpt = Annotated[list[str], typer.Option("--task", "-t", help="Task or suite (repeatable).")]


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


@contamination_app.command("scan")
def scan_cmd(
    corpus: Annotated[list[str], typer.Option("--corpus", help="Corpus file or directory (repeatable).")],
    task: TaskOpt,
    ngram: Annotated[int, typer.Option(help="Words per n-gram for exact overlap.", min=4)] = 13,
    threshold: Annotated[
        float, typer.Option(help="Jaccard similarity of a near-duplicate.", min=0.05, max=1)
    ] = 0.5,
    text_field: Annotated[str, typer.Option(help="JSONL field / Parquet column holding the text.")] = "text",
    show_hits: Annotated[int, typer.Option("--hits", help="Print at most this many hits.")] = 20,
    workers: Annotated[
        int | None, typer.Option(help="Processes scanning (default: cores, at most 4).")
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    progress: ProgressOpt = True,
) -> None:
    """Which task items appear in a corpus (text, JSONL, Parquet; .gz/.zst): 13-gram overlap and
    MinHash near-duplicates, with file and line of each; stored for `assay contamination leaderboard`."""
    report = contamination_scan(
        corpus, task, ngram=ngram, threshold=threshold, text_field=text_field, store=db, workers=workers,
        show_progress=progress and not as_json,
    )  # fmt: skip
    if as_json:
        emit_json(
            {
                "scan_id": report.scan_id,
                "files": list(report.files),
                "bytes_read": report.bytes_read,
                "seconds": round(report.seconds, 3),
                "mb_per_s": round(report.mb_per_s, 2),
                "tasks": [asdict(t) for t in report.tasks],
                "hits": [asdict(h.hit) | {"occurrences": h.occurrences} for h in report.hits],
            }
        )
        return
    table = Table(title=f"contamination scan {report.scan_id or ''} ({report.bytes_read / 1e6:,.1f} MB, "
                  f"{report.mb_per_s:.1f} MB/s)")  # fmt: skip
    for col in (
        "task",
        "items",
        "checked",
        "13-gram" if ngram == 13 else f"{ngram}-gram",
        "near-dup",
        "flagged",
        "clean",
    ):
        table.add_column(col, justify="left" if col == "task" else "right")
    for t in report.tasks:
        table.add_row(
            Text(t.task),
            *(str(v) for v in (t.items, t.checked, t.ngram, t.near_duplicate, t.flagged, t.clean)),
        )
    console.print(table)
    for stored in report.hits[:show_hits]:
        h = stored.hit
        where = f"{h.source}:{h.line}" + (f" (byte {h.offset})" if h.offset is not None else "")
        console.print(
            Text(f"{h.task} {h.sample_id}  {h.kind} {h.similarity:.2f} x{stored.occurrences}  {where}")
        )
    if len(report.hits) > show_hits:
        console.print(f"... {len(report.hits) - show_hits} more hits (--json for all)")


@contamination_app.command("scans")
def scans_cmd(limit: int = 20, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Stored corpus scans, newest first."""
    found = contamination_scans(limit, store=db)
    if as_json:
        emit_json(found)
        return
    table = Table(title="contamination scans")
    for col in ("id", "files", "MB", "tasks (flagged/items)"):
        table.add_column(col)
    for s in found:
        tasks = ", ".join(f"{t['task']} {t['flagged']}/{t['items']}" for t in s["summary"]["tasks"])
        table.add_row(
            s["id"][:12], str(len(s["corpus"])), f"{s['summary']['bytes_read'] / 1e6:,.1f}", Text(tasks)
        )
    console.print(table)


@contamination_app.command("hits")
def hits_cmd(
    scan: Annotated[str, typer.Argument(help="Scan id, a unique prefix, or 'latest'.")] = "latest",
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every hit of a stored scan: task item, kind, similarity, corpus file, line and byte offset."""
    found = contamination_hits(scan, store=db)
    if as_json:
        emit_json(found)
        return
    for h in found:
        where = f"{h['source']}:{h['line']} (byte {h['offset']})"
        console.print(
            Text(
                f"{h['task']} {h['sample_id']}  {h['kind']} {h['similarity']:.2f} x{h['occurrences']} {where}"
            )
        )


@contamination_app.command("leaderboard")
def leaderboard_cmd(
    run_id: Annotated[list[str] | None, typer.Option("--run", help="Only these runs.")] = None,
    scan: Annotated[str, typer.Option(help="Scan id, a unique prefix, or 'latest'.")] = "latest",
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Each score on all samples beside the score on the samples the scan did not find in the corpus."""
    board = clean_leaderboard(run_id, scan=scan, store=db)
    if as_json:
        emit_json({"scan_id": board.scan_id, "rows": [asdict(r) | {"gap": r.gap} for r in board.rows]})
        return
    table = Table(title=f"full vs clean (scan {board.scan_id[:12]})")
    for col in ("task", "model", "metric", "full", "n", "clean", "n clean", "flagged", "full - clean"):
        table.add_column(col, justify="left" if col in ("task", "model", "metric") else "right")
    for r in board.rows:
        table.add_row(Text(r.task), Text(r.model), Text(r.metric), _fmt(r.full), str(r.full_n),
                      _fmt(r.clean), str(r.clean_n), str(r.flagged_n), _fmt(r.gap))  # fmt: skip
    console.print(table)


@contamination_app.command("min-k")
def min_k_cmd(
    model: Annotated[
        str, typer.Option("--model", "-m", help="Model with log-probabilities (built-in, llama.cpp:...).")
    ],
    task: TaskOpt,
    reference: Annotated[
        str | None,
        typer.Option(help="Text written after the model's release (.jsonl with 'text', or paragraphs)."),
    ] = None,
    k: Annotated[
        float, typer.Option(help="Fraction of least likely tokens averaged.", min=0.01, max=1)
    ] = 0.2,
    limit: Annotated[int | None, typer.Option(help="At most this many items per task.", min=1)] = None,
    model_arg: Annotated[
        list[str] | None, typer.Option("--model-arg", help="Backend option KEY=VALUE.")
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    progress: ProgressOpt = True,
) -> None:
    """Min-K% and Min-K%++ of the tasks' items against fresh reference text: a signal, not proof."""
    report = contamination_min_k(
        model, task, reference=reference, k=k, limit=limit, store=db,
        model_args=parse_key_values(model_arg or [], "--model-arg"), show_progress=progress and not as_json,
    )  # fmt: skip
    if as_json:
        emit_json(asdict(report))
        return
    table = Table(title=f"Min-K% ({k:.0%}) of {report.model}, run {report.run_id[:12]}")
    for col in ("texts", "metric", "n", "q25", "median", "q75", "AUC vs reference"):
        table.add_column(col, justify="left" if col in ("texts", "metric") else "right")
    for r in report.rows:
        d = r.scores
        table.add_row(
            Text(r.task),
            r.metric,
            str(d.n),
            _fmt(d.q25),
            _fmt(d.median),
            _fmt(d.q75),
            _fmt(r.auc_vs_reference, 2),
        )
    console.print(table)
    console.print(Text(report.caveat, style="italic"))


def drift_cmd(
    model: Annotated[str, typer.Argument(help="Model name as recorded with its runs.")],
    changed: Annotated[int, typer.Option(help="Print at most this many changed answers per step.")] = 5,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A model's runs over time: per task the paired change between consecutive runs, with its
    interval, and the samples whose answers changed."""
    report = drift(model, store=db)
    if as_json:
        emit_json(asdict(report))
        return
    history = Table(title=f"history of {model}")
    for col in ("run", "task", "metric", "value", "n"):
        history.add_column(col)
    for p in report.history:
        history.add_row(p.run_id[:12], Text(p.task), Text(p.metric), _fmt(p.value), str(p.n))
    console.print(history)
    for s in report.steps:
        c = s.comparison
        line = f"{s.task}: {s.run_before[:8]} -> {s.run_after[:8]} on {s.shared} shared samples"
        if c is not None:
            line += f": {c.difference:+.3f} [{c.low:+.3f}, {c.high:+.3f}], p={c.p_value:.3g}. {c.verdict}"
        console.print(Text(line))
        for a in s.changed[:changed]:
            scores = f"{_fmt(a.score_before, 2)} -> {_fmt(a.score_after, 2)}"
            console.print(Text(f"  {a.sample_id}: {a.before!r} -> {a.after!r} ({scores})"))
        if len(s.changed) > changed:
            console.print(f"  ... {len(s.changed) - changed} more changed answers")
