"""State of the art over time: the record series by release date, the best score by year, yearly
improvement, saturation, and when a human baseline was passed. Pure functions over results."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from assay.trends.records import BenchmarkResult, HumanBaseline, TrendsError


@dataclass(frozen=True)
class SotaPoint:
    """A new record: the first result that beat every earlier-released one."""

    date: date
    score: float
    model: str
    source: str = ""


@dataclass(frozen=True)
class YearBest:
    """The best score among models released up to the end of `year`, and the gain on the year before."""

    year: int
    score: float
    model: str
    gain_points: float | None = None
    gain_percent: float | None = None  # relative to the year before's best


@dataclass(frozen=True)
class Saturation:
    benchmark: str
    best: float
    best_model: str
    ceiling: float | None
    baseline: float | None
    last_gain: float | None  # points gained in the last year of the series
    saturated: bool
    reasons: tuple[str, ...]


def benchmark_results(results: Iterable[BenchmarkResult], benchmark: str) -> list[BenchmarkResult]:
    """The dated results of one benchmark (name matched without case), oldest first, best first on a day."""
    want = benchmark.strip().lower()
    chosen = [r for r in results if r.benchmark.lower() == want]
    return sorted(
        (r for r in chosen if r.release_date is not None), key=lambda r: (r.release_date, -r.score, r.model)
    )


def require_results(results: Iterable[BenchmarkResult], benchmark: str) -> list[BenchmarkResult]:
    results = list(results)
    chosen = benchmark_results(results, benchmark)
    if not chosen:
        known = sorted({r.benchmark for r in results if r.release_date is not None})
        raise TrendsError(f"no dated results for benchmark {benchmark!r} (known: {', '.join(known)})")
    return chosen


def sota_series(results: Iterable[BenchmarkResult], benchmark: str) -> list[SotaPoint]:
    points: list[SotaPoint] = []
    for r in require_results(results, benchmark):
        assert r.release_date is not None
        if not points or r.score > points[-1].score:
            points.append(SotaPoint(r.release_date, r.score, r.model, r.source))
    return points


def sota_by_year(results: Iterable[BenchmarkResult], benchmark: str) -> list[YearBest]:
    """One row per calendar year from the first release to the last, cumulative best to date."""
    rows = require_results(results, benchmark)
    series = sota_series(rows, benchmark)
    out: list[YearBest] = []
    first, last = series[0].date.year, max(r.release_date.year for r in rows if r.release_date)
    for year in range(first, last + 1):
        best = [p for p in series if p.date.year <= year][-1]
        prev = out[-1] if out else None
        gain = best.score - prev.score if prev else None
        pct = 100.0 * gain / prev.score if prev and gain is not None and prev.score else None
        out.append(YearBest(year, best.score, best.model, gain, pct))
    return out


def saturation(
    results: Iterable[BenchmarkResult],
    benchmark: str,
    *,
    ceiling: float | None = 100.0,
    baseline: float | None = None,
    within: float = 5.0,
    min_gain: float = 1.0,
) -> Saturation:
    """Saturated when the best score is within `within` points of the ceiling or the human baseline,
    or when the last year's gain in the best score was under `min_gain` points."""
    years = sota_by_year(results, benchmark)
    best = years[-1]
    reasons: list[str] = []
    if ceiling is not None and best.score >= ceiling - within:
        reasons.append(f"best {best.score:.1f} is within {within:g} of the ceiling {ceiling:g}")
    if baseline is not None and best.score >= baseline - within:
        reasons.append(f"best {best.score:.1f} is within {within:g} of the human baseline {baseline:g}")
    last_gain = best.gain_points
    if last_gain is not None and last_gain < min_gain:
        reasons.append(f"the best score gained {last_gain:.1f} < {min_gain:g} points in {best.year}")
    name = benchmark_results(results, benchmark)[0].benchmark if years else benchmark
    return Saturation(
        name, best.score, best.model, ceiling, baseline, last_gain, bool(reasons), tuple(reasons)
    )


def baseline_crossing(series: Sequence[SotaPoint], baseline: HumanBaseline | float) -> SotaPoint | None:
    """The first record at or above the baseline, or None if none is yet."""
    level = baseline.score if isinstance(baseline, HumanBaseline) else baseline
    return next((p for p in series if p.score >= level), None)


def benchmark_names(results: Iterable[BenchmarkResult]) -> dict[str, int]:
    """Benchmark -> number of dated results, most first."""
    counts: dict[str, int] = {}
    for r in results:
        if r.release_date is not None:
            counts[r.benchmark] = counts.get(r.benchmark, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
