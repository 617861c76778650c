"""Open vs closed: the best open-weights and the best closed model to date on a benchmark, the
relative advantage (closed - open) / open and its median across benchmarks, and how long open
models took to reach each closed record. Pure functions over results."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from assay.trends.records import Access, BenchmarkResult, TrendsError
from assay.trends.sota import benchmark_results


@dataclass(frozen=True)
class BenchmarkGap:
    benchmark: str
    at: date
    closed_best: float
    closed_model: str
    open_best: float
    open_model: str
    points: float  # closed - open
    relative: float  # (closed - open) / open


@dataclass(frozen=True)
class GapSummary:
    at: date | None  # None: each benchmark at its own latest result
    benchmarks: tuple[BenchmarkGap, ...]
    median_relative: float | None
    left_out: tuple[str, ...]  # benchmarks without both an open and a closed result by then


@dataclass(frozen=True)
class OpenLag:
    """A closed record and the first open-weights model that matched it (None: not yet)."""

    benchmark: str
    closed_model: str
    closed_date: date
    score: float
    open_model: str | None
    open_date: date | None

    @property
    def days(self) -> int | None:
        """Days from the closed record to the open match; 0 when an open model was there first."""
        return None if self.open_date is None else max(0, (self.open_date - self.closed_date).days)


def relative_advantage(closed: float, open_: float) -> float:
    if open_ <= 0:
        raise TrendsError(f"the relative advantage needs a positive open score, got {open_}")
    return (closed - open_) / open_


def best_to_date(rows: Sequence[BenchmarkResult], access: Access, at: date | None) -> BenchmarkResult | None:
    pool = [
        r for r in rows if r.access == access and (at is None or (r.release_date and r.release_date <= at))
    ]
    return max(
        pool, key=lambda r: (r.score, -r.release_date.toordinal() if r.release_date else 0), default=None
    )


def benchmark_gap(
    results: Iterable[BenchmarkResult], benchmark: str, at: date | None = None
) -> BenchmarkGap | None:
    rows = benchmark_results(results, benchmark)
    closed, open_ = best_to_date(rows, "closed", at), best_to_date(rows, "open", at)
    if closed is None or open_ is None:
        return None
    when = at or max(r.release_date for r in rows if r.release_date)  # type: ignore[type-var]
    return BenchmarkGap(
        rows[0].benchmark,
        when,
        closed.score,
        closed.model,
        open_.score,
        open_.model,
        closed.score - open_.score,
        relative_advantage(closed.score, open_.score),
    )


def gap_series(results: Iterable[BenchmarkResult], benchmark: str) -> list[BenchmarkGap]:
    """The gap at every release date from the first day both kinds have a result."""
    rows = benchmark_results(results, benchmark)
    dates = sorted({r.release_date for r in rows if r.release_date})
    return [g for d in dates if (g := benchmark_gap(rows, benchmark, d)) is not None]


def gap_summary(
    results: Iterable[BenchmarkResult],
    benchmarks: Iterable[str] | None = None,
    *,
    at: date | None = None,
    unit: str = "%",
) -> GapSummary:
    """Per benchmark (all of `unit` by default) the gap at `at`, and the median relative advantage."""
    results = list(results)
    names = (
        list(benchmarks)
        if benchmarks is not None
        else sorted({r.benchmark for r in results if r.unit == unit and r.release_date is not None})
    )
    gaps: list[BenchmarkGap] = []
    left_out: list[str] = []
    for name in names:
        gap = benchmark_gap(results, name, at)
        if gap is None:
            left_out.append(name)
        else:
            gaps.append(gap)
    median = statistics.median(g.relative for g in gaps) if gaps else None
    return GapSummary(at, tuple(gaps), median, tuple(left_out))


def open_lag(results: Iterable[BenchmarkResult], benchmark: str) -> list[OpenLag]:
    """For each closed record (a closed model beating every earlier closed model), the earliest
    open-weights model with at least its score (released before it too: then the lag is 0)."""
    rows = benchmark_results(results, benchmark)
    opens = [r for r in rows if r.access == "open"]
    out: list[OpenLag] = []
    best: float | None = None
    for r in (r for r in rows if r.access == "closed"):
        if best is not None and r.score <= best:
            continue
        best = r.score
        assert r.release_date is not None
        match = next((o for o in opens if o.score >= r.score), None)
        out.append(
            OpenLag(
                r.benchmark,
                r.model,
                r.release_date,
                r.score,
                match.model if match else None,
                match.release_date if match else None,
            )
        )
    return out


def median_lag_days(lags: Iterable[OpenLag]) -> float | None:
    days = [lag.days for lag in lags if lag.days is not None]
    return statistics.median(days) if days else None
