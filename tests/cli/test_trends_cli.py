"""`assay trends ...` through Typer's runner, and charts exported by vl-convert."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.trends import trends_app
from assay.trends import TrendsError, load_default
from assay.trends import charts as trend_charts
from shared_data import shared_data

EPOCH = shared_data() / "epoch"
runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(trends_app, list(args))


def test_sota_json_from_an_epoch_folder_and_a_baseline(tmp_path: Path) -> None:
    base = tmp_path / "baselines.csv"
    base.write_text(
        "benchmark,score,label,citation\nMMLU,89.8,human expert,Hendrycks et al. 2021\n", encoding="utf-8"
    )
    result = invoke(
        "sota", "MMLU", "--epoch", str(EPOCH / "benchmark-stitching"), "--baselines", str(base), "--json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {y["year"]: y["score"] for y in data["by_year"]} == {
        2021: 60.0,
        2022: 70.0,
        2023: 86.4,
        2024: 88.1,
        2025: 88.1,
    }
    assert data["baseline"]["citation"] == "Hendrycks et al. 2021"
    assert data["baseline_passed"] is None  # 88.1 < 89.8


def test_sota_table_and_unknown_benchmark() -> None:
    result = invoke("sota", "GPQA")
    assert result.exit_code == 0, result.output
    assert "best to date by year" in result.output
    result = invoke("sota", "NOPE")
    assert isinstance(result.exception, TrendsError)
    assert "no dated results for benchmark 'NOPE'" in str(result.exception)


def test_gap_json_median_matches_the_library() -> None:
    from assay.trends import gap

    result = invoke("gap", "--json", "--at", "2024-06-30")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    expected = gap.gap_summary(load_default().results, at=__import__("datetime").date(2024, 6, 30))
    assert data["median_relative"] == pytest.approx(expected.median_relative)
    assert len(data["benchmarks"]) == len(expected.benchmarks) > 5
    assert isinstance(invoke("gap", "--at", "June").exception, TrendsError)


def test_catalogue_search_and_bad_user_file(tmp_path: Path) -> None:
    result = invoke("catalogue", "llama 2", "--json", "--limit", "50")
    assert result.exit_code == 0, result.output
    names = {m["name"] for m in json.loads(result.output)["models"]}
    assert {"Llama 2-70B", "Llama 2-7B"} <= names
    bad = tmp_path / "models.csv"
    bad.write_text("name,parameters\nX,many\n", encoding="utf-8")
    result = invoke("catalogue", "--catalogue", str(bad))
    assert isinstance(result.exception, TrendsError)
    assert ":2: column 'parameters'" in str(result.exception)
    result = invoke("catalogue", "X", "--catalogue", str(bad), "--skip-bad-rows", "--json")
    assert result.exit_code == 0
    assert "skipped: " in result.stderr and ":2: column 'parameters'" in result.stderr


def test_emissions_lag_saturation_and_runs(tmp_path: Path) -> None:
    result = invoke("emissions", "Llama 2-70B", "--pue", "1.0", "--grid", "0.5", "--json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)["estimates"]
    assert row["co2_t"] == pytest.approx(1720320 * 0.4 * 0.5 / 1000)
    assert row["reported_co2_t"] == 291.42
    assert isinstance(invoke("emissions", "--gpu", "tpu9").exception, TrendsError)
    lag = json.loads(invoke("lag", "MMLU", "--json").output)
    assert lag["lags"] and all(g["days"] is None or g["days"] >= 0 for g in lag["lags"])
    sat = json.loads(invoke("saturation", "MMLU", "HellaSwag", "--json").output)
    assert [s["benchmark"] for s in sat] == ["MMLU", "HellaSwag"]
    runs = invoke("runs", "--db", str(tmp_path / "empty.db"), "--json")
    assert runs.exit_code == 0 and json.loads(runs.output) == {"footprints": [], "results": []}


def test_chart_export_writes_a_valid_svg(tmp_path: Path) -> None:
    out = tmp_path / "mmlu.svg"
    result = invoke("chart", "sota", "--benchmark", "MMLU", "--out", str(out))
    assert result.exit_code == 0, result.output
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    text = "".join(root.itertext())
    assert "MMLU: state of the art by release date" in text
    assert isinstance(invoke("chart", "pie", "--out", str(out)).exception, TrendsError)
    assert isinstance(invoke("chart", "sota", "--out", str(tmp_path / "x.gif")).exception, TrendsError)


@pytest.mark.parametrize("kind", ["gap", "gap-summary", "scaling", "emissions"])
def test_every_chart_kind_renders(tmp_path: Path, kind: str) -> None:
    out = tmp_path / f"{kind}.png"
    result = invoke("chart", kind, "--benchmark", "MMLU", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sota_chart_spec_has_the_series_and_the_baseline() -> None:
    from assay.trends import HumanBaseline, sota

    data = load_default()
    base = HumanBaseline("MMLU", 89.8, "human expert", "Hendrycks et al. 2021")
    spec = trend_charts.sota_chart(data.results, "MMLU", [base])
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    datasets = [layer["data"]["values"] for layer in spec["layer"]]
    series = [d for d in datasets if d and "access" not in d[0] and "model" in d[0]]
    assert [r["score"] for r in series[0]] == [p.score for p in sota.sota_series(data.results, "MMLU")]
    assert any(d and d[0].get("score") == 89.8 and "Hendrycks" in d[0]["label"] for d in datasets)


# --- bad input through the real entry point: one `error:` line, exit code 2 ---------------------
def cli_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    import sys
    from unittest.mock import patch

    from assay.cli.main import main

    with patch.object(sys, "argv", ["assay", "trends", *args]), pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err
    assert stop.value.code == 2, err
    assert err.startswith("error: ") and "Traceback" not in err and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["catalogue", "--access", "weird"], "--access must be open, closed or unknown"),
        (["saturation", "--within", "-5"], "--within must be a number of at least 0"),
        (["saturation", "--within", "nan"], "--within must be a number of at least 0"),
        (["saturation", "--min-gain", "-1"], "--min-gain must be a number of at least 0"),
        (["gap", "NOPE"], "no dated results for benchmark 'NOPE'"),
        (["lag", "NOPE"], "no dated results for benchmark 'NOPE'"),
        (["sota", "MMLU", "--source", "zzzz-no-such-citation"], "no result's citation contains --source"),
        (["emissions", "--pue", "nan"], "--pue must be a number of at least 1"),
        (["emissions", "--grid", "-3"], "--grid must be a number of at least 0"),
        (["emissions", "--utilization", "2"], "--utilization must be above 0 and at most 1"),
        (["runs", "--power-w", "-5"], "--power-w must be a number of at least 0"),
    ],
)
def test_cli_rejects_bad_options(capsys: pytest.CaptureFixture[str], args: list[str], fragment: str) -> None:
    assert fragment in cli_error(capsys, *args)


def test_cli_db_typo_is_an_error_not_a_new_empty_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-dir" / "typo.db"
    assert "does not exist: no results store" in cli_error(capsys, "sota", "MMLU", "--db", str(missing))
    assert "is a directory" in cli_error(capsys, "benchmarks", "--db", str(tmp_path))
    assert not missing.parent.exists()  # nothing was created


def test_cli_user_files_reject_impossible_values(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    results = tmp_path / "results.csv"
    results.write_text("benchmark,model,score,citation,release_date\nMMLU,X,150,me,2024\n", encoding="utf-8")
    err = cli_error(capsys, "sota", "MMLU", "--results", str(results))
    assert ":2: column 'score': a % score must be between 0 and 100" in err
    models = tmp_path / "models.csv"
    models.write_text("name,parameters\nX,-7\n", encoding="utf-8")
    err = cli_error(capsys, "catalogue", "--catalogue", str(models))
    assert ":2: column 'parameters': must not be negative" in err
    binary = tmp_path / "models.yaml"
    binary.write_bytes(b"\xff\xfe\x00name: x")
    assert "error: " in cli_error(capsys, "catalogue", "--catalogue", str(binary))


def test_cli_chart_into_a_file_not_a_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("x", encoding="utf-8")
    err = cli_error(capsys, "chart", "sota", "--out", str(blocked / "chart.json"))
    assert "a file stands where its folder should be" in err
