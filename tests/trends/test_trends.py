"""Trends data: the Epoch MMLU state-of-the-art series against the raw rows, the shipped figures
against the Epoch files they were carried from, the catalogue, and import errors that name the
file, line and column."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest

from assay.trends import Catalogue, ModelEntry, TrendsError, load_default, load_epoch_dir, load_trends, sota
from assay.trends.dataset import shippable
from assay.trends.epoch import read_all_systems, read_benchmark_file, read_model_versions
from assay.trends.userfiles import read_baselines_file, read_catalogue_file, read_results_file
from shared_data import shared_data

EPOCH = shared_data() / "epoch"
STITCHING = EPOCH / "benchmark-stitching" / "data"
MMLU = STITCHING / "external_benchmark_mmlu.csv"
# Computed by hand from the raw rows (see test below): best EM of any model version released by
# the end of each year.
MMLU_BEST_BY_YEAR = {2021: 60.0, 2022: 70.0, 2023: 86.4, 2024: 88.1, 2025: 88.1}


def raw_mmlu_points() -> list[tuple[date, float, str]]:
    """Independent of assay.trends: csv rows joined to model_versions.csv by hand."""
    with (STITCHING / "model_versions.csv").open(encoding="utf-8-sig", newline="") as f:
        released = {r["id"]: r["Version release date"] for r in csv.DictReader(f)}
    points = []
    with MMLU.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            when = released.get(row["Model version"].strip(), "")
            if when and row["EM"].strip():
                y, m, d = (int(p) for p in when.split("-"))
                points.append(
                    (date(y, m, d), float(row["EM"].strip().removesuffix("%")), row["Model version"])
                )
    return points


def mmlu_results():  # type: ignore[no-untyped-def]
    versions = {v.id: v for v in read_model_versions(STITCHING / "model_versions.csv").items}
    return read_benchmark_file(MMLU, versions).items


def test_mmlu_sota_by_year_matches_the_raw_rows() -> None:
    points = raw_mmlu_points()
    assert len(points) == 207
    years = range(min(p[0].year for p in points), max(p[0].year for p in points) + 1)
    expected = {y: max(s for d, s, _ in points if d.year <= y) for y in years}
    assert expected == MMLU_BEST_BY_YEAR

    by_year = sota.sota_by_year(mmlu_results(), "MMLU")
    assert {y.year: y.score for y in by_year} == expected
    assert [y.model for y in by_year] == [
        "Gopher (280B)",
        "text-davinci-002",
        "gpt-4-0314",
        "gpt-4o-2024-11-20",
        "gpt-4o-2024-11-20",
    ]
    assert by_year[0].gain_points is None
    assert by_year[2].gain_points == pytest.approx(16.4)
    assert by_year[2].gain_percent == pytest.approx(100 * 16.4 / 70.0)
    assert by_year[4].gain_points == 0.0


def test_mmlu_record_series_beats_every_earlier_release() -> None:
    points = raw_mmlu_points()
    series = sota.sota_series(mmlu_results(), "mmlu")  # names match without case
    assert series[0].score == max(s for d, s, _ in points if d == min(p[0] for p in points))
    for p in series:
        assert p.score > max((s for d, s, _ in points if d < p.date), default=float("-inf"))
        assert (p.date, p.score) in {(d, s) for d, s, _ in points}
    # every release that beat all earlier ones (and its own day's others) is in the series
    expected = []
    for d, s, _ in sorted(points, key=lambda p: (p[0], -p[1])):
        if not expected or s > expected[-1][1]:
            expected.append((d, s))
    assert [(p.date, p.score) for p in series] == expected


def test_shipped_figures_are_the_epoch_files_carried_over() -> None:
    shipped = load_default()
    models, results = shippable(load_epoch_dir(EPOCH))
    assert list(shipped.results) == results
    assert list(shipped.catalogue) == models
    llama = shipped.catalogue.require("Llama 2-70B")
    assert (llama.developer, llama.release_date, llama.parameters, llama.access) == (
        "Meta AI",
        date(2023, 7, 18),
        7e10,
        "open",
    )
    assert llama.training_chip_hours == 1720320.0
    with (EPOCH / "open-model-trends" / "data" / "benchmarks_with_model_accessibility.csv").open(
        encoding="utf-8-sig"
    ) as f:
        gpqa = {r["System"]: float(r["GPQA"]) * 100 for r in csv.DictReader(f) if r["GPQA"] and r["Date"]}
    got = {r.model: r.score for r in shipped.results if r.benchmark == "GPQA"}
    assert got == pytest.approx(gpqa)


def test_all_systems_reads_every_row_and_maps_access() -> None:
    loaded = read_all_systems(EPOCH / "training-cost-trends" / "data" / "All ML Systems - full view.csv")
    assert len(loaded.items) == 1892 and loaded.skipped == ()
    by_name = {e.name: e for e in loaded.items}
    assert by_name["GPT-4"].access == "closed"
    assert by_name["GPT-4"].training_compute_flop == 2.1e25
    assert by_name["Magistral Small"].access == "open"
    assert by_name["Magistral Small"].parameters == 24e9


def test_catalogue_merges_sources_and_finds_aliases(tmp_path: Path) -> None:
    cat = Catalogue([ModelEntry("Llama 2-70B", developer="Meta AI", parameters=7e10, access="open")])
    user = tmp_path / "models.yaml"
    user.write_text(
        "models:\n  - name: llama-2-70b\n    training_cost_usd: 1.5e6\n"
        "    aliases: Llama2 70B chat; meta-llama/Llama-2-70b\n",
        encoding="utf-8",
    )
    for entry in read_catalogue_file(user).items:
        cat.add(entry)
    entry = cat.require("META-LLAMA/llama-2-70b")
    assert (entry.name, entry.parameters, entry.training_cost_usd) == ("Llama 2-70B", 7e10, 1.5e6)
    assert cat.get("Llama2 70B chat") is entry
    assert len(cat) == 1
    with pytest.raises(TrendsError, match="no model 'Llama 9'"):
        cat.require("Llama 9")


def test_user_results_are_dated_from_the_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text(
        "benchmark,model,score,citation\nMMLU,Llama 2-70B,68.9%,Touvron et al. 2023\n", encoding="utf-8"
    )
    data = load_trends(results_files=[path])
    mine = [r for r in data.results if r.source == "Touvron et al. 2023"]
    assert len(mine) == 1
    assert (mine[0].score, mine[0].release_date, mine[0].access) == (68.9, date(2023, 7, 18), "open")


def test_a_bad_date_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "models.csv"
    path.write_text(
        "name,release_date,parameters\nA,2023-01-05,7e9\nB,last spring,1e9\nC,2024,2e9\n", encoding="utf-8"
    )
    with pytest.raises(TrendsError) as info:
        read_catalogue_file(path)
    message = str(info.value)
    assert "models.csv:3: column 'release_date'" in message
    assert "'last spring'" in message and "--skip-bad-rows" in message
    loaded = read_catalogue_file(path, skip_bad_rows=True)
    assert [e.name for e in loaded.items] == ["A", "C"]
    assert loaded.items[1].release_date == date(2024, 1, 1)
    assert [(p.line, p.column, p.value) for p in loaded.skipped] == [(3, "release_date", "last spring")]


def test_a_bad_number_in_an_epoch_file_is_reported_with_its_line(tmp_path: Path) -> None:
    copy = tmp_path / "external_benchmark_mmlu.csv"
    shutil.copy(MMLU, copy)
    lines = copy.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    lines[4] = lines[4].replace("65.2%", "sixty%")  # line 5 of the file
    copy.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(
        TrendsError, match=r"external_benchmark_mmlu\.csv:5: column 'EM': not a number \(got 'sixty'\)"
    ):
        read_benchmark_file(copy, {})
    loaded = read_benchmark_file(copy, {}, skip_bad_rows=True)
    assert [p.line for p in loaded.skipped] == [5]
    assert len(loaded.items) == len(read_benchmark_file(MMLU, {}).items) - 1


def test_multiline_rows_keep_their_starting_line(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text(
        'benchmark,model,score,citation\nMMLU,A,50,"two\nline citation"\nMMLU,B,5o,x\n', encoding="utf-8"
    )
    with pytest.raises(TrendsError, match=r"results\.csv:4: column 'score'"):
        read_results_file(path)


def test_missing_columns_and_citations_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text("benchmark,model,score\nMMLU,A,50\n", encoding="utf-8")
    with pytest.raises(TrendsError, match="no column 'citation'"):
        read_results_file(path)
    path.write_text("benchmark,model,score,citation\nMMLU,A,50,\n", encoding="utf-8")
    with pytest.raises(
        TrendsError, match=r"results\.csv:2: column 'citation': this column must not be empty"
    ):
        read_results_file(path)
    with pytest.raises(TrendsError, match=r"cannot read file .*absent\.csv: it does not exist"):
        read_results_file(tmp_path / "absent.csv")
    with pytest.raises(TrendsError, match=r"give a \.csv, \.yaml or \.yml"):
        read_results_file(tmp_path / "results.txt")


def test_yaml_errors_name_the_entry_line(tmp_path: Path) -> None:
    path = tmp_path / "baselines.yaml"
    path.write_text(
        "baselines:\n  - benchmark: MMLU\n    score: 89.8\n    citation: Hendrycks et al. 2021\n"
        "  - benchmark: GSM8K\n    score: lots\n    citation: someone\n",
        encoding="utf-8",
    )
    with pytest.raises(TrendsError, match=r"baselines\.yaml:5: column 'score'"):
        read_baselines_file(path)
    path.write_text("baselines: [1, 2]\n", encoding="utf-8")
    with pytest.raises(TrendsError, match=r"baselines\.yaml:1:\d+: expected a mapping, got int"):
        read_baselines_file(path)
    path.write_text("baselines: [\n", encoding="utf-8")
    with pytest.raises(TrendsError, match=r"baselines\.yaml:2: not valid YAML"):
        read_baselines_file(path)


def test_access_must_be_open_closed_or_unknown(tmp_path: Path) -> None:
    path = tmp_path / "models.csv"
    path.write_text("name,access\nA,Open weights (restricted use)\nB,API access\nC,maybe\n", encoding="utf-8")
    loaded = read_catalogue_file(path, skip_bad_rows=True)
    assert [(e.name, e.access) for e in loaded.items] == [("A", "open"), ("B", "closed")]
    assert loaded.skipped[0].line == 4 and loaded.skipped[0].column == "access"


def test_an_empty_epoch_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TrendsError, match="no Epoch files found"):
        load_epoch_dir(tmp_path)
    with pytest.raises(TrendsError, match="no Epoch data folder"):
        load_epoch_dir(tmp_path / "absent")
