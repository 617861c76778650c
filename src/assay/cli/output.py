"""Terminal tables, JSON/CSV printing and file exports for the CLI."""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from assay.api import Leaderboard, RankInterval, RunOverview, RunRecord, RunResult, Transcript
from assay.cli.groups import groups_json, print_energy, print_group, print_group_rates
from assay.cli.options import emit_json, json_safe
from assay.core.results import LeaderboardRow

__all__ = ["emit_json", "json_safe"]


def _fmt(value: float | None, stderr: float | None = None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.3f}" + (f" ± {stderr:.3f}" if stderr is not None else "")


def _cell(row: LeaderboardRow) -> str:
    """'0.812 [0.780, 0.842]' (the 95% interval), or '0.812 ± 0.020' when only a standard error is known."""
    if math.isnan(row.value):
        return "-"
    if row.low is None or row.high is None:
        shown = _fmt(row.value, row.stderr)
    else:
        shown = f"{row.value:.3f} [{row.low:.3f}, {row.high:.3f}]"
    return shown + (f" [{row.errors} err]" if row.errors else "")


def _rank_text(found: RankInterval | None, position: int) -> str:
    if found is None:
        return str(position)
    return str(found.rank) if found.low == found.high else f"{found.rank} ({found.low}-{found.high})"


def interval_note(rows: Sequence[LeaderboardRow]) -> str:
    """The footnote under a leaderboard: how its intervals were made."""
    methods = sorted({r.method for r in rows if r.method})
    if not methods:
        return ""
    return (
        f"[value] 95% interval: {', '.join(methods)} (see docs/statistics.md); rank (low-high): "
        "paired bootstrap over samples; models in one tie group are not statistically distinguishable"
    )


def leaderboard_json(board: Leaderboard) -> dict[str, Any]:
    return {
        "rows": [asdict(r) for r in board.rows],
        "mean_win_rate": dict(board.mean_win_rate),
        "ranks": [asdict(r) for r in board.ranks],
        **groups_json(board),
    }


def _write_csv(console: Console, board: Leaderboard) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf)
    head = ["model", "task", "metric", "value", "stderr", "n", "errors", "mean_win_rate"]
    extra = ["low", "high", "method", "clusters", "rank", "rank_low", "rank_high", "tie_group"]
    writer.writerow(head + extra)
    by_model = dict(board.mean_win_rate)
    for r in board.rows:
        found = board.rank_of(r.model)
        ranks = [found.rank, found.low, found.high, found.group] if found else [None] * 4
        base = [r.model, r.task, r.metric, r.value, r.stderr, r.n, r.errors, by_model.get(r.model)]
        writer.writerow([*base, r.low, r.high, r.method, r.clusters, *ranks])
    console.file.write(buf.getvalue())


def print_leaderboard(
    console: Console,
    board: Leaderboard,
    *,
    as_json: bool = False,
    as_csv: bool = False,
    title: str = "leaderboard",
    group: str | None = None,
) -> None:
    rows, rates = board.rows, board.mean_win_rate
    if as_json:
        emit_json(leaderboard_json(board))
        return
    if as_csv:
        _write_csv(console, board)
        return
    if not rows:
        console.print("no scored results yet: run `assay run` first")
        return
    tasks = sorted({r.task for r in rows})
    cell = {(r.model, r.task): r for r in rows}
    table = Table(title=title)
    table.add_column("rank", justify="right")
    if board.ranks:
        table.add_column("tie group", justify="right")
    table.add_column("model")
    table.add_column("mean win rate", justify="right")
    for task in tasks:
        metric = next(r.metric for r in rows if r.task == task)
        table.add_column(f"{task}\n({metric})", justify="right")
    for i, (model, rate) in enumerate(rates, start=1):
        cells = [_cell(found) if (found := cell.get((model, task))) else "-" for task in tasks]
        ranked = board.rank_of(model)
        lead = [_rank_text(ranked, i)] + ([str(ranked.group) if ranked else "-"] if board.ranks else [])
        table.add_row(*lead, Text(model), _fmt(rate), *[Text(c) for c in cells])
    if group is not None:
        print_group(console, board, group)
        return
    console.print(table)
    print_group_rates(console, board)
    note = interval_note(rows)
    if note:
        console.print(Text(note, style="dim"))


def print_run_result(console: Console, result: RunResult, run: RunOverview, *, as_json: bool) -> None:
    board = run.leaderboard
    if as_json:
        emit_json(
            {
                "run_id": result.run_id,
                "status": result.status,
                "stats": asdict(result.stats),
                "duration_s": result.duration_s,
                "prompt_modes": result.prompt_modes,
                **leaderboard_json(board),
                "run_level": [asdict(d) for d in run.run_level],
                **({"adaptive": result.adaptive} if result.adaptive else {}),
                "summary": run.run.summary.to_json() if run.run.summary else None,
            }
        )
        return
    s = result.stats
    console.print(
        f"run {result.run_id}: {s.planned} units, {s.cached} from cache, {s.sent} requests sent, "
        f"{s.errors} failed, {result.scored} scored in {result.duration_s:.1f}s"
    )
    print_leaderboard(console, board, title=f"run {result.run_id}")
    print_run_level(console, run.run_level)
    print_measurement(console, run.run)
    print_energy(console, run.run)
    if s.errors:
        console.print(
            f"{s.errors} requests failed after retries (not scored); see `assay show {result.run_id}`; "
            "run the same command again to retry them"
        )


def print_measurement(console: Console, run: RunRecord) -> None:
    """How an adaptive run stopped (samples used of how many, the final intervals) and the repeats."""
    spec = run.spec
    if spec.epochs > 1:
        console.print(f"epochs: each sample asked {spec.epochs} times, reduced by {spec.epochs_reducer}")
    adaptive = run.summary.adaptive if run.summary is not None else {}
    if not adaptive:
        if spec.until_ci is not None:
            console.print(f"adaptive (--until-ci {spec.until_ci}): the run did not finish")
        return
    console.print(
        f"adaptive: stop when every {adaptive['confidence']:.0%} interval is narrower than "
        f"{adaptive['width']} ({adaptive['rule']}; seed {adaptive['seed']}, checked every "
        f"{adaptive['batch']} samples)"
    )
    for task, out in sorted(adaptive["tasks"].items()):
        spans = ", ".join(
            f"{model} {iv['mean']:.3f} [{iv['low']:.3f}, {iv['high']:.3f}]"
            for model, iv in out["intervals"].items()
        )
        why = {"narrow": "interval narrow enough", "exhausted": "all samples used"}.get(out["stopped"], "")
        console.print(
            Text(f"  {task}: {out['used']} of {out['available']} samples ({why}); {out['metric']}: {spans}")
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
        emit_json([r.to_json() for r in runs])
        return
    table = Table(title="runs")
    for col in ("id", "created", "status", "models", "tasks", "executor"):
        table.add_column(col)
    for r in runs:
        ran = r.summary
        where = f"{ran.executor} ({ran.workers} worker{'s' if ran.workers != 1 else ''})" if ran else "-"
        table.add_row(
            r.id,
            time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created_at)),
            r.status,
            Text(", ".join(r.spec.models)),
            Text(", ".join(r.spec.task_names)),
            where,
        )
    console.print(table)


def print_samples(console: Console, records: list[dict[str, Any]], *, as_json: bool) -> None:
    if as_json:
        emit_json(records)
        return
    for rec in records:
        score = rec["score"]
        status = f"error: {rec['error']}" if rec["error"] else f"score {score}"
        console.rule(Text(f"{rec['model']} · {rec['task']} · sample {rec['sample_id']} · {status}"))
        if rec.get("perturbation"):
            console.print(Text("perturbed: ", style="bold") + Text(str(rec["perturbation"])))
            console.print(Text("original: ", style="bold") + Text(_clip(str(rec.get("original_input")))))
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


def print_transcript(console: Console, transcript: Transcript, *, as_json: bool) -> None:
    """An agent's turns: reply, tool call, what came back; then how it ended. Model text is printed as
    plain Text (never read as Rich markup)."""
    if as_json:
        emit_json(transcript.to_json())
        return
    t = transcript
    console.rule(Text(f"{t.model} · {t.task} · sample {t.sample_id} · {len(t.turns)} turns"))
    for step in t.turns:
        flag = " · tool error" if step.get("error") else ""
        console.print(Text(f"turn {step['turn']}{flag}", style="bold"))
        console.print(Text("reply:  ", style="bold") + Text(_clip(step.get("reply") or "")))
        call = step.get("call")
        if call is not None:
            arguments = json.dumps(call.get("arguments"), ensure_ascii=False)
            console.print(
                Text("call:   ", style="bold") + Text(f"{call.get('name')} {_clip(arguments, 600)}")
            )
        if step.get("observation") is not None:
            console.print(Text("result: ", style="bold") + Text(_clip(step["observation"], 800)))
    if t.outcome is not None:
        console.rule(Text(f"stopped: {t.outcome.get('stop')} · {t.extracted or 'not scored yet'}"))
        console.print(Text(t.outcome.get("diff") or "(no change to the files)"))
    elif not t.turns:
        console.print("no turns stored for this sample")


def _clip(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else text[:limit] + f"… [{len(text) - limit} more characters]"


def print_names(console: Console, data: dict[str, list[str]]) -> None:
    for heading, names in data.items():
        console.print(Text(heading.replace("_", " ") + ":", style="bold"))
        for name in names:
            console.print(Text(f"  {name}"))
