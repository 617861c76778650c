"""Trends analyses on small hand-built tables with known answers: open vs closed gap and lag,
saturation, baselines, emissions arithmetic, and own runs read from a store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from assay.core.spec import RunSpec, TaskConfig
from assay.store import Store, UnitRecord
from assay.trends import BenchmarkResult, HumanBaseline, ModelEntry, TrendsError, emissions, gap, sota
from assay.trends.runs import read_own_runs


def res(bench: str, model: str, score: float, when: str, access: str = "unknown") -> BenchmarkResult:
    return BenchmarkResult(bench, model, score, date.fromisoformat(when), access)  # type: ignore[arg-type]


TABLE = [
    res("B1", "c1", 80, "2023-01-01", "closed"),
    res("B1", "o1", 60, "2023-06-01", "open"),
    res("B1", "c2", 90, "2024-01-01", "closed"),
    res("B1", "c3", 85, "2024-03-01", "closed"),  # not a closed record
    res("B1", "o2", 85, "2024-06-01", "open"),
    res("B1", "o3", 91, "2025-01-01", "open"),
    res("B2", "o4", 50, "2022-01-01", "open"),
    res("B2", "c4", 60, "2023-01-01", "closed"),
    res("B2", "o5", 48, "2023-06-01", "open"),
    res("B3", "c5", 44, "2023-01-01", "closed"),
    res("B3", "o6", 40, "2023-02-01", "open"),
    res("B4", "u1", 70, "2023-01-01"),  # no open or closed result: left out
]


def test_gap_at_a_date_uses_the_best_of_each_kind_released_by_then() -> None:
    g = gap.benchmark_gap(TABLE, "B1", date(2024, 3, 1))
    assert g is not None
    assert (g.closed_model, g.closed_best, g.open_model, g.open_best) == ("c2", 90, "o1", 60)
    assert g.points == 30 and g.relative == pytest.approx(0.5)
    g = gap.benchmark_gap(TABLE, "B1", date(2024, 12, 31))
    assert g is not None and g.relative == pytest.approx(5 / 85)
    g = gap.benchmark_gap(TABLE, "B1")
    assert g is not None and g.at == date(2025, 1, 1) and g.relative == pytest.approx(-1 / 91)
    assert gap.benchmark_gap(TABLE, "B1", date(2023, 3, 1)) is None  # no open model yet


def test_median_relative_advantage_across_benchmarks() -> None:
    summary = gap.gap_summary(TABLE, at=date(2023, 12, 31))
    relative = {g.benchmark: g.relative for g in summary.benchmarks}
    assert relative == pytest.approx({"B1": 20 / 60, "B2": 10 / 50, "B3": 4 / 40})
    assert summary.median_relative == pytest.approx(0.2)
    assert summary.left_out == ("B4",)
    assert gap.gap_summary(TABLE, ["B1", "B3"], at=date(2023, 12, 31)).median_relative == pytest.approx(
        (20 / 60 + 0.1) / 2
    )
    with pytest.raises(TrendsError, match="positive open score"):
        gap.relative_advantage(10, 0)


def test_gap_series_starts_when_both_kinds_exist() -> None:
    series = gap.gap_series(TABLE, "B1")
    assert [s.at for s in series] == [
        date(2023, 6, 1),
        date(2024, 1, 1),
        date(2024, 3, 1),
        date(2024, 6, 1),
        date(2025, 1, 1),
    ]
    assert [s.points for s in series] == [20, 30, 30, 5, -1]


def test_open_lag_to_each_closed_record() -> None:
    lags = gap.open_lag(TABLE, "B1")
    assert [(lag.closed_model, lag.open_model, lag.days) for lag in lags] == [
        ("c1", "o2", (date(2024, 6, 1) - date(2023, 1, 1)).days),  # 517
        ("c2", "o3", 366),
    ]
    assert gap.median_lag_days(lags) == (517 + 366) / 2
    b2 = gap.open_lag(TABLE, "B2")
    assert [(lag.closed_model, lag.open_model, lag.days) for lag in b2] == [("c4", None, None)]
    assert gap.median_lag_days(b2) is None
    early = [res("B", "o", 70, "2022-01-01", "open"), res("B", "c", 65, "2023-01-01", "closed")]
    assert gap.open_lag(early, "B")[0].days == 0  # an open model was there first


def test_saturation_by_ceiling_baseline_or_stalled_gain() -> None:
    rows = [
        res("S", "a", 60, "2021-05-01"),
        res("S", "b", 80, "2022-05-01"),
        res("S", "c", 80.5, "2023-05-01"),
    ]
    s = sota.saturation(rows, "S", within=5, min_gain=1)
    assert s.saturated and s.last_gain == pytest.approx(0.5)
    assert s.reasons == ("the best score gained 0.5 < 1 points in 2023",)
    assert not sota.saturation(rows, "S", min_gain=0.1).saturated
    s = sota.saturation(rows, "S", baseline=82, min_gain=0.1)
    assert s.saturated and "human baseline 82" in s.reasons[0]
    near = [*rows, res("S", "d", 96, "2024-01-01")]
    assert "ceiling 100" in sota.saturation(near, "S").reasons[0]


def test_baseline_crossing_is_the_first_record_at_or_above_it() -> None:
    series = sota.sota_series(TABLE, "B1")
    assert [(p.model, p.score) for p in series] == [("c1", 80), ("c2", 90), ("o3", 91)]
    base = HumanBaseline("B1", 89.8, "expert", "someone 2021")
    crossing = sota.baseline_crossing(series, base)
    assert crossing is not None and crossing.model == "c2"
    assert sota.baseline_crossing(series, 95) is None
    with pytest.raises(TrendsError, match="no dated results for benchmark 'B9'"):
        sota.sota_series(TABLE, "B9")


def test_emissions_from_chip_hours_and_from_compute_by_hand() -> None:
    params = emissions.EmissionParams(utilization=0.4, pue=1.1, grid_kg_per_kwh=0.5)
    by_hours = emissions.estimate_training(ModelEntry("m", training_chip_hours=1000), params)
    assert by_hours is not None and by_hours.method == "chip-hours"
    assert by_hours.energy_mwh == pytest.approx(1000 * 0.4 * 1.1 / 1000)  # 0.44 MWh
    assert by_hours.co2_t == pytest.approx(440 * 0.5 / 1000)  # 0.22 t
    flop = 312e12 * 0.4 * 3600 * 1000  # 1000 A100-hours at 40% of peak
    by_flop = emissions.estimate_training(ModelEntry("m", training_compute_flop=flop), params)
    assert by_flop is not None and by_flop.method == "compute"
    assert by_flop.gpu_hours == pytest.approx(1000)
    assert by_flop.co2_t == pytest.approx(0.22)
    h100 = emissions.estimate_training(
        ModelEntry("m", training_chip_hours=1000, hardware="NVIDIA H100 SXM5"), params
    )
    assert h100 is not None and h100.co2_t == pytest.approx(1000 * 0.7 * 1.1 * 0.5 / 1000)
    tpu = emissions.estimate_training(
        ModelEntry("m", training_chip_hours=10, hardware="Google TPU v4"), params
    )
    assert tpu is not None and tpu.accelerator == "NVIDIA A100 SXM (assumed)"
    assert tpu.co2_t == pytest.approx(by_hours.co2_t / 100)
    assert emissions.estimate_training(ModelEntry("m"), params) is None
    with pytest.raises(TrendsError, match="PUE"):
        emissions.EmissionParams(pue=0.9)


def test_default_emission_parameters_and_reported_figures() -> None:
    from assay.trends import load_default
    from assay.trends.dataset import reported_emissions

    assert {k: a.value for k, a in emissions.DEFAULTS.items()} == {
        "utilization": 0.4,
        "pue": 1.1,
        "grid_kg_per_kwh": 0.48,
        "inference_power_w": 150.0,
    }
    assert all(a.source for a in emissions.DEFAULTS.values())
    llama = load_default().catalogue.require("Llama 2-70B")
    estimate = emissions.with_reported(emissions.estimate_training(llama), reported_emissions())  # type: ignore[arg-type]
    assert estimate.gpu_hours == 1720320
    assert estimate.co2_t == pytest.approx(1720320 * 0.4 * 1.1 * 0.48 / 1000)  # 363.3 t
    assert estimate.reported_co2_t == 291.42 and "arXiv:2307.09288" in (estimate.reported_source or "")


def test_run_footprint_per_thousand_queries() -> None:
    fp = emissions.run_footprint(
        "r", "m", queries=100, wall_s=3600, tokens=5000, power_w=150, pue=1.0, grid_kg_per_kwh=0.48
    )
    assert fp.energy_kwh == pytest.approx(0.15)
    assert fp.kwh_per_1000 == pytest.approx(1.5)
    assert fp.co2_g == pytest.approx(72.0) and fp.co2_g_per_1000 == pytest.approx(720.0)
    assert fp.tokens_per_s == pytest.approx(5000 / 3600)
    empty = emissions.run_footprint("r", "m", queries=0, wall_s=0, tokens=0)
    assert empty.kwh_per_1000 is None and empty.tokens_per_s is None


def test_own_runs_are_read_from_the_store(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store.db") as store:
        run_id = store.create_run(RunSpec(models=("tiny",), tasks=(TaskConfig("mmlu"),)))
        units = [UnitRecord(f"k{i}", "tiny", {}, "mmlu", "1", str(i), {}, {}) for i in range(4)]
        store.add_units(run_id, units)
        for i in range(3):  # the fourth request failed: no response, not scored
            store.put_response(
                f"k{i}", {"text": "A", "prompt_tokens": 10, "completion_tokens": 2}, latency_s=0.5, attempts=1
            )
        store.put_scores([(f"k{i}", {"acc": float(i > 0), "other": 7.0}, "A") for i in range(3)])
        own = read_own_runs(store)
        counts = store.counts()
    assert len(own.results) == 1
    result = own.results[0]
    assert (result.benchmark, result.model, result.unit) == ("mmlu", "tiny", "%")
    assert result.score == pytest.approx(100 * 2 / 3)
    assert run_id in result.source
    (usage,) = own.usage
    assert (usage.queries, usage.busy_s, usage.tokens) == (3, 1.5, 36)
    assert counts["runs"] == 1  # read-only: nothing added
