"""`assay.trends`: the trends commands as a Python namespace, with the same numbers the CLI prints as
JSON, tables for pandas, and the domain package still importable under its own name."""

from __future__ import annotations

import inspect
import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import assay
from assay.cli.trends import trends_app
from assay.core.spec import RunSpec, TaskConfig
from assay.store import Store, UnitRecord
from assay.trends import TrendsError


def cli_json(*args: str) -> Any:
    result = CliRunner().invoke(trends_app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def as_json(value: Any) -> Any:
    """What the CLI's JSON printer makes of a value (dates become strings)."""
    return json.loads(json.dumps(value, default=str))


def test_assay_trends_is_the_api_namespace_and_the_domain_package_stays_importable() -> None:
    import assay.trends
    from assay.trends import sota as sota_module

    assert assay.trends.__name__ == "assay.api.trends" and "trends" in assay.__all__
    assert callable(assay.trends.sota) and hasattr(sota_module, "sota_series")
    for name in assay.trends.__all__:
        member = getattr(assay.trends, name)
        if inspect.isfunction(member):
            assert inspect.getdoc(member), name


def test_sota_gives_what_the_cli_prints() -> None:
    view = assay.trends.sota("MMLU")
    assert as_json(view.to_dict()) == cli_json("sota", "MMLU")
    by_year = pd.DataFrame(view.by_year)
    assert list(by_year.columns[:3]) == ["year", "score", "model"]
    assert by_year["score"].is_monotonic_increasing  # the best to date never falls


def test_gap_lag_saturation_and_catalogue_match_the_cli() -> None:
    summary = assay.trends.gap(at="2024-06-30")
    assert summary.at == date(2024, 6, 30)
    assert summary.median_relative == pytest.approx(cli_json("gap", "--at", "2024-06-30")["median_relative"])
    assert as_json(assay.trends.lag("MMLU").to_dict()) == cli_json("lag", "MMLU")
    saturated = assay.trends.saturation(["MMLU", "HellaSwag"], within=3)
    assert as_json([asdict(s) for s in saturated]) == cli_json(
        "saturation", "MMLU", "HellaSwag", "--within", "3"
    )
    models = assay.trends.catalogue("llama 2", limit=50)
    assert [m.name for m in models] == [
        m["name"] for m in cli_json("catalogue", "llama 2", "--limit", "50")["models"]
    ]
    assert assay.trends.benchmarks() == cli_json("benchmarks")


def test_emissions_match_the_cli_and_name_their_assumptions() -> None:
    view = assay.trends.emissions(["Llama 2-70B"], pue=1.0, grid=0.5)
    assert as_json(view.to_dict()) == cli_json("emissions", "Llama 2-70B", "--pue", "1.0", "--grid", "0.5")
    (row,) = view.estimates
    assert row.co2_t == pytest.approx(1720320 * 0.4 * 0.5 / 1000) and row.reported_co2_t == 291.42
    assert view.parameters.pue == 1.0 and view.defaults["utilization"].source


def test_own_runs_join_the_figures_and_give_footprints(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    with Store.open(db) as store:
        run_id = store.create_run(RunSpec(models=("tiny",), tasks=(TaskConfig("mmlu"),)))
        store.add_units(
            run_id, [UnitRecord(f"k{i}", "tiny", {}, "mmlu", "1", str(i), {}, {}) for i in range(2)]
        )
        for i in range(2):
            store.put_response(f"k{i}", {"text": "A", "prompt_tokens": 10}, latency_s=1.0, attempts=1)
        store.put_scores([("k0", {"acc": 1.0}, "A"), ("k1", {"acc": 0.0}, "B")])
    found = assay.trends.runs(store=str(db))
    assert as_json(found.to_dict()) == cli_json("runs", "--db", str(db))
    (footprint,) = found.footprints
    assert (footprint.queries, footprint.wall_s, footprint.tokens) == (2, 2.0, 20)
    data = assay.trends.load(store=str(db))
    mine = [r for r in data.results if run_id in r.source]
    assert [(r.benchmark, r.model, r.score) for r in mine] == [("mmlu", "tiny", 50.0)]
    with pytest.raises(TrendsError, match="does not exist: no results store"):
        assay.trends.load(store=str(tmp_path / "typo.db"))
    assert not (tmp_path / "typo.db").exists()


def test_user_files_and_a_source_filter(tmp_path: Path) -> None:
    results = tmp_path / "results.csv"
    results.write_text(
        "benchmark,model,score,citation,release_date\nNEWBENCH,X,50,me 2025,2024-01-01\n"
        "NEWBENCH,Y,70,me 2025,2025-01-01\nNEWBENCH,Z,lots,me 2025,2025-02-01\n",
        encoding="utf-8",
    )
    with pytest.raises(TrendsError, match=":4: column 'score'"):
        assay.trends.load(results=[results])
    data = assay.trends.load(results=[results], skip_bad_rows=True, source="me 2025")
    assert len(data.skipped) == 1 and {r.benchmark for r in data.results} == {"NEWBENCH"}
    assert [p.model for p in assay.trends.sota("newbench", data=data).records] == ["X", "Y"]


def test_charts_are_specs_and_files(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "sota.json"
    spec = assay.trends.chart("sota", benchmark="MMLU", out=out)
    assert json.loads(out.read_text(encoding="utf-8")) == spec
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    scaling = assay.trends.chart("scaling", benchmark="MMLU", x="parameters")
    assert scaling["encoding"]["x"]["field"] == "parameters"


def test_the_dashboard_overview_agrees_with_sota_and_lag() -> None:
    view = assay.trends.overview("GSM8K")
    assert view.by_year == assay.trends.sota("GSM8K").by_year
    assert view.median_open_lag_days == assay.trends.lag("GSM8K").median_days
    assert view.to_dict()["sota_by_year"][0]["year"] == view.by_year[0].year
    assert view.charts[0][0] == "state of the art over time"
    assert "MMLU" in view.choices


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: assay.trends.saturation(within=-5), "--within must be a number of at least 0"),
        (lambda: assay.trends.saturation(min_gain=float("nan")), "--min-gain must be a number"),
        (lambda: assay.trends.gap(at="June"), "--at 'June'"),
        (lambda: assay.trends.gap(["NOPE"]), "no dated results for benchmark 'NOPE'"),
        (lambda: assay.trends.catalogue(access="weird"), "--access must be open, closed or unknown"),
        (lambda: assay.trends.emissions(gpu="tpu9"), "unknown --gpu 'tpu9'"),
        (lambda: assay.trends.emissions(utilization=2), "--utilization must be above 0 and at most 1"),
        (lambda: assay.trends.runs(power_w=-1), "--power-w must be a number of at least 0"),
        (lambda: assay.trends.chart("pie"), "unknown chart 'pie'"),
        (lambda: assay.trends.load(source="zzzz-no-such-citation"), "no result's citation contains"),
    ],
)
def test_bad_arguments_are_one_line_trends_errors(call: Any, fragment: str) -> None:
    with pytest.raises(TrendsError) as caught:
        call()
    assert fragment in str(caught.value) and "\n" not in str(caught.value)
