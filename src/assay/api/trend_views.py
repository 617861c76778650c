"""What `assay.trends` functions return when one record is not enough: each view holds records (turn
a tuple of them into a table with `pandas.DataFrame(view.records)`) and `to_dict()` gives the JSON
that `assay trends ... --json` prints."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from assay.trends.emissions import Assumption, EmissionParams, RunFootprint, TrainingEstimate
from assay.trends.gap import OpenLag
from assay.trends.records import BenchmarkResult, HumanBaseline
from assay.trends.sota import SotaPoint, YearBest


@dataclass(frozen=True)
class SotaView:
    benchmark: str
    records: tuple[SotaPoint, ...]  # each new record by release date
    by_year: tuple[YearBest, ...]  # the best to date per calendar year, with the gain on the year before
    baseline: HumanBaseline | None = None
    baseline_passed: SotaPoint | None = None  # the first record at or above the baseline

    def to_dict(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "records": [asdict(p) for p in self.records],
            "by_year": [asdict(y) for y in self.by_year],
            "baseline": asdict(self.baseline) if self.baseline else None,
            "baseline_passed": asdict(self.baseline_passed) if self.baseline_passed else None,
        }


@dataclass(frozen=True)
class LagView:
    benchmark: str
    median_days: float | None  # None: no open model matched any closed record yet
    lags: tuple[OpenLag, ...]  # per closed record, the first open model that matched it

    def to_dict(self) -> dict[str, Any]:
        lags = [{**asdict(lag), "days": lag.days} for lag in self.lags]
        return {"benchmark": self.benchmark, "median_days": self.median_days, "lags": lags}


@dataclass(frozen=True)
class EmissionsView:
    estimates: tuple[TrainingEstimate, ...]
    parameters: EmissionParams  # what the estimates assumed
    defaults: dict[str, Assumption]  # each default with its unit and source
    reported: dict[str, dict[str, Any]]  # published figures: model -> {"co2_t", "citation", "note"}

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimates": [asdict(e) for e in self.estimates],
            "parameters": asdict(self.parameters),
            "defaults": {k: asdict(v) for k, v in self.defaults.items()},
            "reported": self.reported,
        }


@dataclass(frozen=True)
class RunFootprints:
    footprints: tuple[RunFootprint, ...]  # one per model and run
    results: tuple[BenchmarkResult, ...]  # each model x task's headline score, as a trends result
    power_w: float  # the assumptions the energy figures rest on
    pue: float
    grid_kg_per_kwh: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "footprints": [asdict(r) for r in self.footprints],
            "results": [asdict(r) for r in self.results],
        }


@dataclass(frozen=True)
class TrendsOverview:
    """One benchmark as the dashboard shows it."""

    benchmark: str
    source: str
    by_year: tuple[YearBest, ...]
    median_open_lag_days: float | None
    charts: tuple[tuple[str, dict[str, Any]], ...]  # (title, Vega-Lite spec)
    choices: tuple[str, ...]  # benchmarks offered next to it

    def to_dict(self) -> dict[str, Any]:
        """The best by year and the median open lag (the JSON behind the dashboard's page)."""
        years = [
            {"year": y.year, "best": y.score, "model": y.model, "gain_points": y.gain_points}
            for y in self.by_year
        ]
        return {
            "benchmark": self.benchmark,
            "source": self.source,
            "sota_by_year": years,
            "median_open_lag_days": self.median_open_lag_days,
        }
