"""Self-contained HTML report: one file, no network, no JavaScript needed to read it.

Untrusted text (prompts, model outputs, and even model and task names) is escaped by
Jinja2 autoescape; the only markup we inject ourselves is the chart SVG, which is
checked by ``charts.check_svg`` first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from assay.core.results import LeaderboardRow, RankInterval, RunLevelMetric, SampleView
from assay.io import write_bytes_atomic

# Long model outputs would bloat the file; the full text stays in the store.
MAX_TEXT_CHARS = 20_000


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    created_at: str
    status: str
    models: tuple[str, ...]
    tasks: tuple[str, ...]
    prompt_modes: tuple[tuple[str, str], ...]  # (task, "chat" | "completion")
    duration_s: float | None
    requests_sent: int
    cached: int
    errors: int


@dataclass(frozen=True)
class ReportData:
    title: str
    generated_at: str
    runs: tuple[RunInfo, ...]
    rows: tuple[LeaderboardRow, ...]
    mean_win_rate: tuple[tuple[str, float], ...]  # (model, MWR) sorted best first
    samples: tuple[SampleView, ...]
    run_level: tuple[RunLevelMetric, ...] = ()
    # Tracked public benchmarks: this run against the state of the art.
    benchmarks: tuple[BenchmarkSection, ...] = ()
    # Sections other modules render (safety): HTML that escapes every untrusted string itself.
    extra_sections: tuple[str, ...] = ()
    # Rank intervals and tie groups (paired bootstrap over samples), best first; empty: not computed.
    ranks: tuple[RankInterval, ...] = ()


@dataclass(frozen=True)
class BenchmarkSection:
    """A tracked benchmark: the run's best result beside the best published one, and its chart."""

    benchmark: str
    model: str
    task: str
    metric: str
    value: float
    record_model: str
    record_score: float  # percent, as published
    record_date: str
    chart: dict[str, Any]  # Vega-Lite spec, drawn to SVG here
    source: str


def render_html_report(data: ReportData) -> str:
    """Render the whole report as one HTML document (a str)."""
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=data.title,
        generated_at=data.generated_at,
        runs=[_run_view(run) for run in data.runs],
        board=_leaderboard_view(data.rows, data.mean_win_rate, data.ranks),
        chart=_chart_view(data.rows, _model_order(data.rows, data.mean_win_rate)),
        example_groups=_example_groups(data.samples),
        run_level=sorted(data.run_level, key=lambda m: (m.task, m.model, m.metric)),
        extra_sections=(*_benchmark_sections(data.benchmarks), *data.extra_sections),
    )


def write_html_report(data: ReportData, path: Path) -> Path:
    """Render and write the report atomically, readable by others as the umask allows (it is shared)."""
    # Lone surrogates can reach us from decoded JSON; never let one abort the write.
    payload = render_html_report(data).encode("utf-8", errors="replace")
    return write_bytes_atomic(Path(path), payload)


_ENV: jinja2.Environment | None = None


def _environment() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        _ENV = jinja2.Environment(
            loader=jinja2.PackageLoader("assay.report", "templates"),
            autoescape=True,  # every {{ }} is escaped; the .j2 suffix would defeat select_autoescape
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    return _ENV


def _run_view(run: RunInfo) -> dict[str, Any]:
    modes = dict(run.prompt_modes)
    return {
        "run_id": run.run_id,
        "created_at": run.created_at,
        "status": run.status,
        "models": run.models,
        "tasks": [(task, modes.get(task, "—")) for task in run.tasks],
        "duration": format_duration(run.duration_s),
        "requests_sent": run.requests_sent,
        "cached": run.cached,
        "errors": run.errors,
    }


def _model_order(rows: Sequence[LeaderboardRow], mwr: Sequence[tuple[str, float]]) -> list[str]:
    """Best mean win rate first (stable for ties); models without one follow, by name."""
    ranked = [model for model, _ in sorted(mwr, key=lambda item: -item[1])]
    unranked = sorted({row.model for row in rows} - set(ranked))
    return list(dict.fromkeys([*ranked, *unranked]))


def _leaderboard_view(
    rows: Sequence[LeaderboardRow], mwr: Sequence[tuple[str, float]], ranks: Sequence[RankInterval] = ()
) -> dict[str, Any]:
    tasks = list(dict.fromkeys(row.task for row in rows))
    metrics: dict[str, list[str]] = {task: [] for task in tasks}
    cells: dict[tuple[str, str], LeaderboardRow] = {}
    for row in rows:
        cells[(row.model, row.task)] = row  # a later row for the same pair wins
        if row.metric not in metrics[row.task]:
            metrics[row.task].append(row.metric)
    win_rates = dict(mwr)
    models = _model_order(rows, mwr)
    by_model = {r.model: r for r in ranks}
    return {
        "columns": [{"task": task, "metric": ", ".join(metrics[task])} for task in tasks],
        "methods": sorted({row.method for row in rows if row.method}),
        "has_ranks": bool(by_model),
        "models": [
            {
                "rank": rank,
                "rank_interval": _rank_text(by_model.get(model)),
                "tie_group": by_model[model].group if model in by_model else None,
                "model": model,
                "mwr": _fmt(win_rates.get(model)),
                "cells": [_cell_view(cells.get((model, task))) for task in tasks],
            }
            for rank, model in enumerate(models, start=1)
        ],
    }


def _rank_text(found: RankInterval | None) -> str | None:
    if found is None:
        return None
    return str(found.rank) if found.low == found.high else f"{found.rank} ({found.low}–{found.high})"


def _cell_view(row: LeaderboardRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "value": _fmt(row.value),
        "stderr": None if row.stderr is None else _fmt(row.stderr),
        "interval": None if row.low is None or row.high is None else f"[{_fmt(row.low)}, {_fmt(row.high)}]",
        "method": row.method,
        "clusters": row.clusters if row.clusters is not None and row.clusters < row.n else None,
        "n": row.n,
        "errors": row.errors,
    }


def _chart_view(rows: Sequence[LeaderboardRow], model_order: list[str]) -> dict[str, Any] | None:
    if not rows:
        return None
    from assay.report import charts  # Altair and vl-convert are heavy; load them only to draw

    chart = charts.leaderboard_chart(rows, model_order=model_order)
    try:
        svg = Markup(charts.chart_svg(chart))  # checked by check_svg: inert drawing markup only
    except ValueError as exc:
        return {"svg": None, "error": str(exc), "spec": charts.chart_spec(chart)}
    return {"svg": svg, "error": None, "spec": charts.chart_spec(chart)}


def _benchmark_sections(sections: Sequence[BenchmarkSection]) -> list[Markup]:
    """One <section> per tracked benchmark; every string escaped, the SVG checked before inlining."""
    if not sections:
        return []
    from assay.report import charts  # vl-convert is heavy; load it only to draw

    out = []
    for s in sections:
        svg = Markup(charts.svg_of_spec(s.chart))  # checked by check_svg: inert drawing markup only
        e = escape
        out.append(
            Markup(
                f'<section class="assay-trends"><h2>{e(s.benchmark)}: this run against the state of the art'
                f"</h2><p>Best in this run: {e(s.model)}, {100 * s.value:.1f}% ({e(s.task)}, {e(s.metric)}). "
                f"Best published: {s.record_score:.1f}% by {e(s.record_model)} ({e(s.record_date)}). "
                f'Source: {e(s.source)}.</p><figure class="chart">{svg}</figure></section>'
            )
        )
    return out


def _example_groups(samples: Sequence[SampleView]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for sample in samples:
        groups.setdefault((sample.model, sample.task), []).append(_sample_view(sample))
    return [{"model": model, "task": task, "samples": items} for (model, task), items in groups.items()]


def _sample_view(sample: SampleView) -> dict[str, Any]:
    if sample.error is not None:
        outcome = "error"
    elif sample.score is None:
        outcome = "unscored"
    else:
        outcome = "pass" if sample.score >= 1.0 else "partial" if sample.score > 0.0 else "fail"
    return {
        "sample_id": sample.sample_id,
        "prompt": _clip(sample.prompt),
        "response": _clip(sample.response),
        "extracted": _clip(sample.extracted),
        "target": _clip(sample.target),
        "score": _fmt(sample.score),
        "error": _clip(sample.error),
        "outcome": outcome,
    }


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_TEXT_CHARS:
        return text
    return f"{text[:MAX_TEXT_CHARS]}\n… ({len(text) - MAX_TEXT_CHARS:,} more characters)"


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def format_duration(seconds: float | None) -> str:
    """Human duration: '—', '4.2 s', '3 m 07 s', '2 h 05 m'."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} m {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} m"
