"""`assay.transparency_*` and the assessment functions: the index as DataFrames with the numbers the
CLI prints, charts saved whole, and assessments kept in the store on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import assay
from assay.cli.transparency import transparency_app
from assay.store import Store
from assay.transparency.model import TransparencyError
from shared_data import shared_data

FMTI = shared_data() / "fmti"
PUBLISHED_2023 = {"Meta": 54, "Hugging Face": 53, "OpenAI": 48, "Stability AI": 47, "Google": 40}


def cli_json(*args: str) -> Any:
    result = CliRunner().invoke(transparency_app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_scores_are_a_dataframe_with_the_cli_numbers() -> None:
    scores = assay.transparency_scores("2023")
    assert scores.to_dict() == cli_json("scores", "2023")
    frame = scores.to_frame()
    assert list(frame.columns) == ["developer", "total", "published_total", "Upstream", "Model", "Downstream"]
    totals = dict(zip(frame["developer"], frame["total"], strict=True))
    assert {k: totals[k] for k in PUBLISHED_2023} == PUBLISHED_2023
    assert (frame["total"] == frame["published_total"]).all()
    assert (frame[["Upstream", "Model", "Downstream"]].sum(axis=1) == frame["total"]).all()


def test_analysis_matches_the_cli_json() -> None:
    found = assay.transparency_analysis("2023", compare="2024")
    assert json.loads(json.dumps(found.to_dict())) == cli_json("analysis", "2023", "--compare", "2024")
    assert found.open_closed is not None and found.open_closed.open_mean_total > 0
    assert found.changes and all(len(c) == 3 for c in found.changes)
    by_domain = assay.transparency_analysis("2024", level="domain").mean_percent
    assert set(by_domain) == {"Upstream", "Model", "Downstream"}
    with pytest.raises(TransparencyError, match="--level must be domain, subdomain or dimension"):
        assay.transparency_analysis("2024", level="row")


def test_editions_indicators_and_the_dashboard_overview() -> None:
    assert assay.transparency_editions() == ("2025", "2024", "2023")
    assert len(assay.transparency_indicators("fmti-v1").indicators) == 100
    view = assay.transparency_overview("2024")
    top = view.developers[0]
    assert (top["developer"], top["total"]) == ("BigCode", 85)
    assert [t for t, _ in view.charts] == [
        "ranked totals",
        "developer x subdomain",
        "open vs closed weights",
        "change from 2023",
    ]
    assert "change from" not in " ".join(t for t, _ in assay.transparency_overview("2025").charts)
    with pytest.raises(TransparencyError, match="unknown edition '1999'"):
        assay.transparency_overview("1999")


def test_a_chart_is_returned_and_saved(tmp_path: Path) -> None:
    out = tmp_path / "new" / "heat.json"
    spec = assay.transparency_chart("heatmap", edition="2024", out=out)
    assert json.loads(out.read_text(encoding="utf-8")) == spec
    assert len(spec["data"]["values"]) == 14 * 23
    with pytest.raises(TransparencyError, match="unknown chart 'pie'"):
        assay.transparency_chart("pie")
    with pytest.raises(TransparencyError, match="--out must end in"):
        assay.transparency_chart("totals", out=tmp_path / "x.gif")


@pytest.mark.skipif(not FMTI.is_dir(), reason="FMTI upstream files not present")
def test_an_upstream_scores_file_imports_to_an_edition_file(tmp_path: Path) -> None:
    out = tmp_path / "may2024.json"
    edition = assay.transparency_import(FMTI / "May2024" / "May2024_scores.csv", out, indicator_set="fmti-v1")
    assert len(edition.developers) == 14
    shipped = assay.transparency_scores("2024").to_frame().set_index("developer")["total"]
    imported = assay.transparency_scores(out).to_frame().set_index("developer")["total"]
    assert imported.to_dict() == shipped.to_dict()


def test_an_assessment_through_the_api(any_store: Store, tmp_path: Path) -> None:
    aid = assay.create_assessment("Acme", "acme-1", "auditor", indicator_set="fmti-v1", store=any_store)
    first, second = assay.transparency_indicators("fmti-v1").ids()[:2]
    assert (
        assay.set_assessment_score(
            aid,
            first,
            1,
            assessor="auditor",
            urls=["https://acme.example/data"],
            quotes=["we crawl"],
            store=any_store,
        )
        is None
    )
    assay.set_assessment_score(aid, second, 1, assessor="auditor", store=any_store)
    old = assay.set_assessment_score(
        aid, second, 0, assessor="Acme", rebuttal="page removed", store=any_store
    )
    assert old == 1
    shown = assay.get_assessment(aid, store=any_store)
    assert shown["scores"][first]["evidence"] == [{"url": "https://acme.example/data"}, {"quote": "we crawl"}]
    history = assay.assessment_history(aid, store=any_store)
    assert [(h["kind"], h["old_score"], h["new_score"]) for h in history] == [
        ("score", None, 1),
        ("score", None, 1),
        ("rebuttal", 1, 0),
    ]
    exported = assay.export_assessment(aid, tmp_path / "a.json", store=any_store)
    table = assay.export_assessment(aid, tmp_path / "a.csv", store=any_store)
    assert len(table.read_text(encoding="utf-8").strip().splitlines()) == 101
    with Store.open(tmp_path / "other.db") as other:
        assert assay.import_assessment(exported, store=other) == aid
        assert assay.get_assessment(aid, store=other) == shown
    with pytest.raises(TransparencyError, match=r"--out must end in \.json or \.csv"):
        assay.export_assessment(aid, tmp_path / "a.txt", store=any_store)
    with pytest.raises(TransparencyError, match="score must be 0 or 1"):
        assay.set_assessment_score(aid, first, 2, assessor="x", store=any_store)


def test_assessment_functions_open_a_store_from_a_path(tmp_path: Path) -> None:
    db = str(tmp_path / "audit.db")
    aid = assay.create_assessment("D", "M", "me", store=db)
    first = assay.transparency_indicators("fmti-2025").ids()[0]
    assay.set_assessment_score(aid, first, 1, assessor="me", store=db)
    runner = CliRunner()
    shown = runner.invoke(transparency_app, ["assess", "show", aid, "--json", "--db", db])
    assert json.loads(shown.stdout) == assay.get_assessment(aid, store=db)
