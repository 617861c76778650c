"""Terminal tables, JSON/CSV printing and file exports for the CLI."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from assay.core.errors import AssayError, ConfigError
from assay.report import LeaderboardRow, write_html_report
from assay.store import RunRecord, Store


def _fmt(value: float | None, stderr: float | None = None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.3f}" + (f" ± {stderr:.3f}" if stderr is not None else "")


def print_leaderboard(
    console: Console,
    rows: Sequence[LeaderboardRow],
    rates: Sequence[tuple[str, float]],
    *,
    as_json: bool = False,
    as_csv: bool = False,
    title: str = "leaderboard",
) -> None:
    if as_json:
        emit_json({"rows": [asdict(r) for r in rows], "mean_win_rate": dict(rates)})
        return
    if as_csv:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["model", "task", "metric", "value", "stderr", "n", "errors", "mean_win_rate"])
        rate = dict(rates)
        for r in rows:
            writer.writerow([r.model, r.task, r.metric, r.value, r.stderr, r.n, r.errors, rate.get(r.model)])
        console.file.write(buf.getvalue())
        return
    if not rows:
        console.print("no scored results yet: run `assay run` first")
        return
    tasks = sorted({r.task for r in rows})
    cell = {(r.model, r.task): r for r in rows}
    table = Table(title=title)
    table.add_column("rank", justify="right")
    table.add_column("model")
    table.add_column("mean win rate", justify="right")
    for task in tasks:
        metric = next(r.metric for r in rows if r.task == task)
        table.add_column(f"{task}\n({metric})", justify="right")
    for i, (model, rate) in enumerate(rates, start=1):
        cells = []
        for task in tasks:
            r = cell.get((model, task))
            cells.append(
                "-" if r is None else _fmt(r.value, r.stderr) + (f" [{r.errors} err]" if r.errors else "")
            )
        table.add_row(str(i), Text(model), _fmt(rate), *[Text(c) for c in cells])
    console.print(table)


def _json_default(value: Any) -> Any:
    return str(value)


def json_safe(value: Any) -> Any:
    """NaN and infinities become null: JSON has no spelling for them and parsers reject Python's."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def emit_json(value: Any) -> None:
    """Machine output: plain, valid JSON on stdout (no colour, no wrapping)."""
    sys.stdout.write(
        json.dumps(json_safe(value), indent=2, ensure_ascii=False, allow_nan=False, default=_json_default)
        + "\n"
    )


def print_run_result(console: Console, store: Store, result: Any, *, as_json: bool) -> None:
    from assay.report.leaderboard import run_level, run_rows, win_rates

    results = store.results(result.run_id)
    rows = run_rows(results)
    rates = win_rates(rows)
    details = run_level(store.get_run(result.run_id), results)
    if as_json:
        emit_json(
            {
                "run_id": result.run_id,
                "status": result.status,
                "stats": asdict(result.stats),
                "duration_s": result.duration_s,
                "prompt_modes": result.prompt_modes,
                "rows": [asdict(r) for r in rows],
                "mean_win_rate": dict(rates),
                "run_level": [asdict(d) for d in details],
            }
        )
        return
    s = result.stats
    console.print(
        f"run {result.run_id}: {s.planned} units, {s.cached} from cache, {s.sent} requests sent, "
        f"{s.errors} failed, {result.scored} scored in {result.duration_s:.1f}s"
    )
    print_leaderboard(console, rows, rates, title=f"run {result.run_id}")
    print_run_level(console, details)
    if s.errors:
        console.print(
            f"{s.errors} requests failed after retries (not scored); see `assay show {result.run_id}`; "
            "run the same command again to retry them"
        )


def print_run_level(console: Console, details: Sequence[Any]) -> None:
    if not details:
        return
    table = Table(title="run-level metrics")
    for col in ("task", "model", "metric", "value"):
        table.add_column(col, justify="right" if col == "value" else "left")
    for d in sorted(details, key=lambda m: (m.task, m.model, m.metric)):
        table.add_row(Text(d.task), Text(d.model), Text(d.metric), _fmt(d.value))
    console.print(table)


def print_runs(console: Console, runs: Sequence[RunRecord], *, as_json: bool) -> None:
    if as_json:
        emit_json([asdict(r) for r in runs])
        return
    table = Table(title="runs")
    for col in ("id", "created", "status", "models", "tasks"):
        table.add_column(col)
    for r in runs:
        tasks = ", ".join(name for name, _ in r.spec.get("tasks", []))
        table.add_row(
            r.id,
            time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created_at)),
            r.status,
            Text(", ".join(r.spec.get("models", []))),
            Text(tasks),
        )
    console.print(table)


def print_samples(
    console: Console, records: list[dict[str, Any]], *, wrong: bool, limit: int, as_json: bool
) -> None:
    def headline(rec: dict[str, Any]) -> float | None:
        return next((v for k, v in rec.items() if k.startswith("score.")), None)

    if wrong:
        records = [r for r in records if (headline(r) is not None and headline(r) < 1) or r["error"]]
    records = records[:limit]
    if as_json:
        emit_json(records)
        return
    for rec in records:
        score = headline(rec)
        status = f"error: {rec['error']}" if rec["error"] else f"score {score}"
        console.rule(Text(f"{rec['model']} · {rec['task']} · sample {rec['sample_id']} · {status}"))
        console.print(Text("prompt:   ", style="bold") + Text(_clip(rec["prompt"])))
        console.print(Text("response: ", style="bold") + Text(_clip(rec["response"] or "")))
        console.print(
            Text("extracted: ", style="bold")
            + Text(str(rec["extracted"]))
            + Text("   target: ", style="bold")
            + Text(str(rec["target"]))
        )
    if not records:
        console.print("no samples to show")


def _clip(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else text[:limit] + f"… [{len(text) - limit} more characters]"


def print_names(console: Console, data: dict[str, list[str]]) -> None:
    for heading, names in data.items():
        console.print(Text(heading.replace("_", " ") + ":", style="bold"))
        for name in names:
            console.print(Text(f"  {name}"))


def export_run(store: Store, run_id: str, out: Path) -> Path:
    import pandas as pd

    from assay.report.leaderboard import flat_results

    suffix = out.suffix.lower()
    if suffix not in (".json", ".csv", ".parquet"):
        raise ConfigError(f"cannot tell the export format from {out.name!r}: use .json, .csv or .parquet")
    frame = pd.DataFrame(flat_results(store, run_id))
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".json":
            frame.to_json(tmp, orient="records", indent=1, force_ascii=False)
        elif suffix == ".csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AssayError(f"cannot write {out}: {exc.strerror}") from None
    return out


def write_report(store: Store, run_ids: Sequence[str], out: Path) -> Path:
    from assay.report.leaderboard import report_data

    try:
        return write_html_report(report_data(store, run_ids), out)
    except OSError as exc:
        raise AssayError(f"cannot write the report {out}: {exc.strerror}") from None
