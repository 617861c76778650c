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
from assay.core.results import LeaderboardRow, RankInterval, RunLevelMetric, RunRecord
from assay.engine.run import RunResult
from assay.io import atomic_path
from assay.rank.score_ranks import rank_intervals

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
    # Rank intervals and tie groups from a paired bootstrap over samples, best first (empty when
    # not computed, e.g. for a run's own summary).
    ranks: tuple[RankInterval, ...] = ()
    # HELM's metric groups: every grouped metric, and the mean win rate within each group
    metrics: tuple[GroupedMetric, ...] = ()
    groups: GroupRates = ()

    def rank_of(self, model: str) -> RankInterval | None:
        return next((r for r in self.ranks if r.model == model), None)

    def group(self, name: str) -> tuple[tuple[str, float], ...]:
        """(model, mean win rate) within one group, best first; empty if no metric of it was measured."""
        return dict(self.groups).get(check_group(name) or "", ())

    def to_frame(self) -> pd.DataFrame:
        """One row per model (best first): its mean win rate, its rank, rank interval and tie group
        (when computed), then per task its value and 95% interval (`TASK`, `TASK low`, `TASK high`)."""
        import pandas as pd

        order = [m for m, _ in self.mean_win_rate]
        columns: dict[str, pd.Series] = {"mean_win_rate": pd.Series(dict(self.mean_win_rate), dtype=float)}
        for name, field in (
            ("rank", "rank"),
            ("rank_low", "low"),
            ("rank_high", "high"),
            ("tie_group", "group"),
        ):
            if self.ranks:
                columns[name] = pd.Series({r.model: getattr(r, field) for r in self.ranks})
        for task in sorted({r.task for r in self.rows}):
            cells = [r for r in self.rows if r.task == task]
            columns[task] = pd.Series({r.model: r.value for r in cells}, dtype=float)
            columns[f"{task} low"] = pd.Series({r.model: r.low for r in cells}, dtype=float)
            columns[f"{task} high"] = pd.Series({r.model: r.high for r in cells}, dtype=float)
        if not self.rows:
            return pd.DataFrame(columns=["model", "mean_win_rate"])
        return pd.DataFrame(columns).reindex(order).rename_axis(index="model")


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


def leaderboard(
    runs: Sequence[RunRef] | None = None,
    *,
    store: StoreLike = None,
    rank_resamples: int = 1000,
    seed: int = 0,
) -> Leaderboard:
    """The given runs, else the newest result of every (model, task) in the store; each value with
    its 95% interval, each model with its rank interval and tie group (a paired bootstrap over
    samples, `rank_resamples` rounds; 0 skips it)."""
    with using_store(store) as opened:
        rows, scores, levels = latest_results(opened, [run_id_of(r) for r in runs] if runs else None)
    ranks = rank_intervals(scores, resamples=rank_resamples, seed=seed) if rank_resamples > 0 else []
    return grouped_board(rows, levels, ranks)


def grouped_board(
    rows: Sequence[LeaderboardRow], levels: Sequence[RunLevelMetric], ranks: Sequence[RankInterval] = ()
) -> Leaderboard:
    metrics = grouped_metrics(rows, levels)
    return Leaderboard(
        tuple(rows), tuple(win_rates(rows)), tuple(ranks), tuple(metrics), group_win_rates(metrics)
    )


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
