"""Self-contained HTML reports: the data gathered from the store here, rendered by `assay.report`."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from assay.api.holistic import grouped_metrics, holistic_html_section
from assay.api.results import RunRef, run_id_of
from assay.api.stores import StoreLike, using_store
from assay.api.views import run_level, run_rows, sample_view, task_scores, win_rates
from assay.core.errors import AssayError
from assay.core.results import LeaderboardRow, ResultRecord, RunRecord
from assay.rank.score_ranks import rank_intervals
from assay.report import BenchmarkSection, ReportData, RunInfo, write_html_report
from assay.safety.report import render_html_section
from assay.safety.runs import safety_report
from assay.store import Store
from assay.trends.run_context import run_contexts


def run_info(run: RunRecord, results: Sequence[ResultRecord]) -> RunInfo:
    summary = run.summary
    return RunInfo(
        run_id=run.id,
        created_at=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.created_at)),
        status=run.status,
        models=tuple(dict.fromkeys(r.model for r in results)),
        tasks=tuple(dict.fromkeys(r.task for r in results)),
        prompt_modes=tuple(sorted(run.plan.prompt_modes.items())),
        duration_s=(run.finished_at - run.created_at) if run.finished_at else None,
        requests_sent=summary.sent if summary else 0,
        cached=summary.cached if summary else 0,
        errors=sum(1 for r in results if r.response is None),
    )


def benchmark_sections(rows: Sequence[LeaderboardRow]) -> tuple[BenchmarkSection, ...]:
    return tuple(
        BenchmarkSection(
            benchmark=c.benchmark,
            model=c.best.model,
            task=c.best.task,
            metric=c.best.metric,
            value=c.best.value,
            record_model=c.record.model,
            record_score=c.record.score,
            record_date=c.record.date.isoformat(),
            chart=c.chart,
            source=c.source,
        )
        for c in run_contexts(rows)
    )


def report_data(
    store: Store,
    run_ids: Sequence[str],
    *,
    examples_per_group: int = 3,
    title: str = "assay evaluation report",
) -> ReportData:
    """Everything a report shows for these runs: runs, leaderboard, run-level metrics, examples, the
    tracked benchmarks against the state of the art, and the safety section when there is one."""
    infos, rows, samples, details = [], [], [], []
    everything: list[ResultRecord] = []
    records = [store.get_run(r) for r in run_ids]
    for run in records:
        results = store.results(run.id)
        everything.extend(results)
        infos.append(run_info(run, results))
        rows.extend(run_rows(results, run))
        details.extend(run_level(run, results))
        shown: dict[tuple[str, str], int] = defaultdict(int)
        for row in results:
            if shown[(row.model, row.task)] < examples_per_group:
                shown[(row.model, row.task)] += 1
                samples.append(sample_view(row, run))
    safety = safety_report(store, list(run_ids))
    holistic = holistic_html_section(grouped_metrics(rows, details), win_rates(rows), records)
    return ReportData(
        title=title,
        generated_at=time.strftime("%Y-%m-%d %H:%M:%S"),
        runs=tuple(infos),
        rows=tuple(rows),
        mean_win_rate=tuple(win_rates(rows)),
        ranks=tuple(rank_intervals(task_scores(everything, rows))),
        samples=tuple(samples),
        run_level=tuple(details),
        benchmarks=benchmark_sections(rows),
        extra_sections=(holistic, *((render_html_section(safety),) if safety.models else ())),
    )


def report(
    runs: Sequence[RunRef] | RunRef = "latest",
    path: str | os.PathLike[str] = "assay-report.html",
    *,
    store: StoreLike = None,
    title: str = "assay evaluation report",
) -> Path:
    """Write one self-contained HTML file (no network needed to read it) for the runs; returns its path."""
    chosen = [runs] if isinstance(runs, str) or not isinstance(runs, Sequence) else list(runs)
    with using_store(store) as opened:
        ids = [opened.get_run(run_id_of(r)).id for r in chosen]
        data = report_data(opened, ids, title=title)
    try:
        return write_html_report(data, Path(path))
    except OSError as exc:
        raise AssayError(f"cannot write the report {path}: {exc.strerror}") from None
