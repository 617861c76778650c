"""Reading results back: runs, per-sample results as DataFrames, leaderboards, exports."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.api.holistic import GroupedMetric, GroupRates, group_win_rates, grouped_metrics
from assay.api.stores import StoreLike, using_store
from assay.api.views import flat_records, latest_results, run_level, run_rows, win_rates
from assay.core.errors import AssayError, ConfigError
from assay.core.metric_groups import check_group
from assay.core.results import LeaderboardRow, RunLevelMetric, RunRecord
from assay.engine.run import RunResult
from assay.io import atomic_path

if TYPE_CHECKING:
    import pandas as pd

RunRef = str | RunResult  # a run id, a unique prefix, "latest", or what `evaluate` returned
EXPORT_FORMATS = (".json", ".csv", ".parquet")


def run_id_of(run: RunRef) -> str:
    return run.run_id if isinstance(run, RunResult) else run


@dataclass(frozen=True)
class Leaderboard:
    """Models x tasks with each task's headline metric, ranked by HELM's mean win rate."""

    rows: tuple[LeaderboardRow, ...]
    mean_win_rate: tuple[tuple[str, float], ...]  # (model, rate), best first
    # HELM's metric groups: every grouped metric, and the mean win rate within each group
    metrics: tuple[GroupedMetric, ...] = ()
    groups: GroupRates = ()

    def group(self, name: str) -> tuple[tuple[str, float], ...]:
        """(model, mean win rate) within one group, best first; empty if no metric of it was measured."""
        return dict(self.groups).get(check_group(name) or "", ())

    def to_frame(self) -> pd.DataFrame:
        """One row per model (best first): its mean win rate, then one column per task."""
        import pandas as pd

        table = pd.DataFrame([{"model": r.model, "task": r.task, "value": r.value} for r in self.rows])
        if table.empty:
            return pd.DataFrame(columns=["model", "mean_win_rate"])
        wide = table.pivot(index="model", columns="task", values="value")
        order = [m for m, _ in self.mean_win_rate]
        wide.insert(0, "mean_win_rate", pd.Series(dict(self.mean_win_rate)))
        return wide.reindex(order).rename_axis(columns=None)


@dataclass(frozen=True)
class RunOverview:
    """A finished run at a glance: its record, leaderboard and run-level metrics."""

    run: RunRecord
    leaderboard: Leaderboard
    run_level: tuple[RunLevelMetric, ...]


def runs(limit: int = 20, *, store: StoreLike = None) -> list[RunRecord]:
    """The newest runs first."""
    with using_store(store) as opened:
        return opened.list_runs(limit)


def get_run(run: RunRef = "latest", *, store: StoreLike = None) -> RunRecord:
    """One run's record: exact id, a unique prefix, or "latest"."""
    with using_store(store) as opened:
        return opened.get_run(run_id_of(run))


def leaderboard(runs: Sequence[RunRef] | None = None, *, store: StoreLike = None) -> Leaderboard:
    """The given runs, else the newest result of every (model, task) in the store."""
    with using_store(store) as opened:
        rows, levels = latest_results(opened, [run_id_of(r) for r in runs] if runs else None)
    return grouped_board(rows, levels)


def grouped_board(rows: Sequence[LeaderboardRow], levels: Sequence[RunLevelMetric]) -> Leaderboard:
    metrics = grouped_metrics(rows, levels)
    return Leaderboard(tuple(rows), tuple(win_rates(rows)), tuple(metrics), group_win_rates(metrics))


def overview(run: RunRef = "latest", *, store: StoreLike = None) -> RunOverview:
    with using_store(store) as opened:
        record = opened.get_run(run_id_of(run))
        results = opened.results(record.id)
    rows = run_rows(results, record)
    levels = run_level(record, results)
    return RunOverview(record, grouped_board(rows, levels), tuple(levels))


def records(run: RunRef = "latest", *, store: StoreLike = None) -> list[dict[str, Any]]:
    """One flat record per unit of the run: prompt, response, extracted answer, target, headline
    `score`, each metric as `score.NAME`, error, latency and unit key."""
    with using_store(store) as opened:
        record = opened.get_run(run_id_of(run))
        return flat_records(record, opened.results(record.id))


def results(run: RunRef = "latest", *, store: StoreLike = None) -> pd.DataFrame:
    """A run's per-sample results as a pandas DataFrame (the columns of `records`)."""
    import pandas as pd

    return pd.DataFrame(records(run, store=store))


def samples(
    run: RunRef = "latest", *, wrong: bool = False, limit: int | None = None, store: StoreLike = None
) -> list[dict[str, Any]]:
    """A run's records; with `wrong`, only those scored below 1 or failed."""
    rows = records(run, store=store)
    if wrong:
        rows = [r for r in rows if r["error"] or (r["score"] is not None and r["score"] < 1)]
    return rows[:limit] if limit is not None else rows


def export(run: RunRef, path: str | os.PathLike[str], *, store: StoreLike = None) -> Path:
    """Write a run's per-sample results to .json, .csv or .parquet (atomically); returns the path."""
    out = Path(path)
    suffix = out.suffix.lower()
    with using_store(store) as opened:
        record = opened.get_run(run_id_of(run))  # an unknown run is the first thing to say
        if suffix not in EXPORT_FORMATS:
            raise ConfigError(f"cannot tell the export format from {out.name!r}: use .json, .csv or .parquet")
        frame = results(record.id, store=opened)
    try:
        with atomic_path(out) as tmp:
            if suffix == ".json":
                frame.to_json(tmp, orient="records", indent=1, force_ascii=False)
            elif suffix == ".csv":
                frame.to_csv(tmp, index=False)
            else:
                frame.to_parquet(tmp, index=False)
    except OSError as exc:
        raise AssayError(f"cannot write {out}: {exc.strerror}") from None
    return out
