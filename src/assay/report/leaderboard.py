"""From stored runs to leaderboard rows, report data and flat exports."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from assay.core.registry import aggregators
from assay.core.types import Sample, Score, sample_from_json
from assay.metrics import run_level_metrics, summarize
from assay.rank import mean_win_rate
from assay.report.html import LeaderboardRow, ReportData, RunInfo, RunLevelMetric, SampleView
from assay.report.trends_section import trends_sections
from assay.store import ResultRow, RunRecord, Store

# Metrics where lower is better; everything else is higher-is-better.
LOWER_IS_BETTER: frozenset[str] = frozenset({"brier", "ece", "latency_s"})


def headline_metric(rows: Sequence[ResultRow]) -> str | None:
    """The first metric the scorer wrote: tasks list their headline metric first."""
    for row in rows:
        if row.scores:
            return next(iter(row.scores))
    return None


def run_rows(results: Sequence[ResultRow]) -> list[LeaderboardRow]:
    groups: dict[tuple[str, str], list[ResultRow]] = defaultdict(list)
    for row in results:
        groups[(row.model, row.task)].append(row)
    out = []
    for (model, task), rows in groups.items():
        metric = headline_metric(rows)
        values = [r.scores[metric] for r in rows if r.scores and metric in r.scores] if metric else []
        summary = summarize(values)
        errors = sum(1 for r in rows if r.response is None)
        out.append(
            LeaderboardRow(
                model=model,
                task=task,
                metric=metric or "-",
                value=summary.mean,
                stderr=summary.stderr,
                n=summary.n,
                errors=errors,
            )
        )
    return out


def run_level(run: RunRecord, results: Sequence[ResultRow]) -> list[RunLevelMetric]:
    """The run-level metrics (ECE, per-group means, pass@k, ...) its tasks asked for, per model."""
    import assay.tasks  # noqa: F401  (tasks register their own aggregators)

    wanted: dict[str, list[str]] = run.spec.get("task_aggregators", {})
    groups: dict[tuple[str, str], list[tuple[Sample, Score]]] = defaultdict(list)
    for row in results:
        if row.scores is not None and wanted.get(row.task):
            groups[(row.model, row.task)].append(
                (sample_from_json(row.sample), Score(values=row.scores, extracted=row.extracted))
            )
    out = []
    for (model, task), items in groups.items():
        names = [n for n in wanted[task] if n in aggregators]  # a plugin not installed here: skip it
        for metric, value in run_level_metrics(names, items).items():
            out.append(RunLevelMetric(model=model, task=task, metric=metric, value=value))
    return out


def latest_rows(
    store: Store, run_ids: Sequence[str] | None = None, *, scan: int = 200
) -> list[LeaderboardRow]:
    """One row per (model, task): from the given runs, else from the newest run that has it."""
    runs = [store.get_run(r) for r in run_ids] if run_ids else store.list_runs(limit=scan)
    chosen: dict[tuple[str, str], LeaderboardRow] = {}
    for run in runs:
        for row in run_rows(store.results(run.id)):
            if row.n > 0:
                chosen.setdefault((row.model, row.task), row)
    return sorted(chosen.values(), key=lambda r: (r.task, r.model))


def win_rates(rows: Sequence[LeaderboardRow]) -> list[tuple[str, float]]:
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for row in rows:
        table[row.model][row.task] = row.value
    direction = {row.task: row.metric not in LOWER_IS_BETTER for row in rows}
    rates = mean_win_rate(table, direction)
    return sorted(rates.items(), key=lambda kv: (-(kv[1] if not math.isnan(kv[1]) else -1.0), kv[0]))


def prompt_text(request: dict[str, Any]) -> str:
    if request.get("kind") == "loglikelihood":
        choices = "\n".join(f"  ({i}) {c!r}" for i, c in enumerate(request["continuations"]))
        return f"{request['context']}\n[choices]\n{choices}"
    if request.get("messages") is not None:
        return "\n\n".join(f"[{m['role']}] {m['content']}" for m in request["messages"])
    return str(request.get("prompt", ""))


def response_text(row: ResultRow) -> str | None:
    if row.response is None:
        return None
    if row.response.get("kind") == "loglikelihood":
        return ", ".join(f"{s['logprob']:.3f}" for s in row.response["scores"])
    return str(row.response.get("text", ""))


def sample_view(row: ResultRow) -> SampleView:
    sample = row.sample
    target = sample.get("target")
    if target is None and sample.get("choices") is not None and sample.get("answer_index") is not None:
        target = sample["choices"][sample["answer_index"]]
    headline = next(iter(row.scores.values())) if row.scores else None
    return SampleView(
        model=row.model,
        task=row.task,
        sample_id=row.sample_id,
        prompt=prompt_text(row.request),
        response=response_text(row),
        extracted=row.extracted,
        target=target,
        score=headline,
        error=row.error,
    )


def run_info(run: RunRecord, results: Sequence[ResultRow]) -> RunInfo:
    summary = run.summary or {}
    return RunInfo(
        run_id=run.id,
        created_at=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.created_at)),
        status=run.status,
        models=tuple(dict.fromkeys(r.model for r in results)),
        tasks=tuple(dict.fromkeys(r.task for r in results)),
        prompt_modes=tuple(sorted(run.spec.get("prompt_modes", {}).items())),
        duration_s=(run.finished_at - run.created_at) if run.finished_at else None,
        requests_sent=int(summary.get("sent", 0)),
        cached=int(summary.get("cached", 0)),
        errors=sum(1 for r in results if r.response is None),
    )


def report_data(
    store: Store,
    run_ids: Sequence[str],
    *,
    examples_per_group: int = 3,
    title: str = "assay evaluation report",
) -> ReportData:
    runs = [store.get_run(r) for r in run_ids]
    infos, rows, samples, details = [], [], [], []
    for run in runs:
        results = store.results(run.id)
        infos.append(run_info(run, results))
        rows.extend(run_rows(results))
        details.extend(run_level(run, results))
        shown: dict[tuple[str, str], int] = defaultdict(int)
        for row in results:
            group = (row.model, row.task)
            if shown[group] < examples_per_group:
                shown[group] += 1
                samples.append(sample_view(row))
    return ReportData(
        title=title,
        generated_at=time.strftime("%Y-%m-%d %H:%M:%S"),
        runs=tuple(infos),
        rows=tuple(rows),
        mean_win_rate=tuple(win_rates(rows)),
        samples=tuple(samples),
        run_level=tuple(details),
        extra_sections=(*_safety_section(store, run_ids), *trends_sections(rows)),
    )


def _safety_section(store: Store, run_ids: Sequence[str]) -> tuple[str, ...]:
    """The safety table and bars, when these runs hold safety evaluations (refusals, classifiers,
    HHH-harmless, BBQ, TruthfulQA); nothing otherwise."""
    from assay.safety.api import safety_report
    from assay.safety.report import render_html_section

    report = safety_report(store, list(run_ids))
    return (render_html_section(report),) if report.models else ()


def flat_results(store: Store, run_id: str) -> list[dict[str, Any]]:
    """One flat record per unit, for JSON/CSV/Parquet export and DataFrames."""
    out = []
    for row in store.results(run_id):
        view = sample_view(row)
        record: dict[str, Any] = {
            "run_id": run_id,
            "model": row.model,
            "task": row.task,
            "task_version": row.task_version,
            "sample_id": row.sample_id,
            "prompt": view.prompt,
            "response": view.response,
            "extracted": row.extracted,
            "target": view.target,
            "error": row.error,
            "latency_s": row.latency_s,
            "unit_key": row.key,
        }
        for metric, value in (row.scores or {}).items():
            record[f"score.{metric}"] = value
        out.append(record)
    return out
