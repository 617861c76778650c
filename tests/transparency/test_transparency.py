"""Transparency index: published numbers recompute exactly, upstream files import with clear errors,
assessments keep their history and round-trip through JSON unchanged."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from fractions import Fraction
from pathlib import Path

import pytest

from assay.transparency import analysis, charts, load_edition, load_indicator_set
from assay.transparency import assessments as audit
from assay.transparency.model import TransparencyError
from assay.transparency.upstream import read_indicator_file, read_score_file
from shared_data import shared_data

FMTI = shared_data() / "fmti"
PUBLISHED_2023 = {
    "Meta": 54,
    "Hugging Face": 53,
    "OpenAI": 48,
    "Stability AI": 47,
    "Google": 40,
    "Anthropic": 36,
    "Cohere": 34,
    "AI21 Labs": 25,
    "Inflection": 21,
    "Amazon": 12,
}


def upstream(edition: str, path: Path):  # type: ignore[no-untyped-def]
    indicators = read_indicator_file(FMTI / "fmti-indicators.csv", "fmti-v1", "v1")
    return read_score_file(path, indicators, name=edition, title=edition, source="test", license="CC BY 4.0")


@pytest.mark.parametrize(
    ("edition", "path", "count"),
    [
        ("2023", FMTI / "October2023" / "October2023_scores.csv", 10),
        ("2024", FMTI / "May2024" / "May2024_scores.csv", 14),
    ],
)
def test_published_totals_recompute_exactly(edition: str, path: Path, count: int) -> None:
    imported = upstream(edition, path)
    assert len(imported.developers) == count
    assert all(d.total == d.published_total for d in imported.developers)
    shipped = load_edition(edition)
    assert [(d.developer, d.total, d.scores) for d in shipped.developers] == [
        (d.developer, d.total, d.scores) for d in imported.developers
    ]
    if edition == "2023":
        assert dict(analysis.totals(shipped)) == PUBLISHED_2023


def test_2023_subdomain_percentages_match_the_report() -> None:
    edition, indicators = load_edition("2023"), load_indicator_set("fmti-v1")
    means = analysis.group_means(edition, indicators, "subdomain")
    exact = {
        "Data": Fraction(20),
        "Data labor": Fraction(120, 7),
        "Compute": Fraction(120, 7),
        "User data protection": Fraction(200, 3),
        "Model basics": Fraction(190, 3),
        "Capabilities": Fraction(62),
        "Limitations": Fraction(60),
    }
    for subdomain, value in exact.items():
        assert means[subdomain] == pytest.approx(float(value), abs=1e-9), subdomain
    # The report's rounded figures: Data 20%, Labor 17%, Compute 17%, User data protection 67%, ...
    assert {k: round(means[k]) for k in exact} == {
        "Data": 20,
        "Data labor": 17,
        "Compute": 17,
        "User data protection": 67,
        "Model basics": 63,
        "Capabilities": 62,
        "Limitations": 60,
    }
    dims = analysis.group_means(edition, indicators, "dimension")
    assert len(dims) == 13 and dims["Labor"] == means["Data labor"]
    table = analysis.breakdown(edition, indicators, "domain")
    assert sum(s.available for s in table["Meta"].values()) == 100


def test_open_closed_changes_and_feasibility() -> None:
    e23, e24, ind = load_edition("2023"), load_edition("2024"), load_indicator_set("fmti-v1")
    gap = analysis.open_closed(e23, ind)
    assert set(gap.open_developers) == {"Meta", "Hugging Face", "Stability AI"}
    assert gap.open_mean_total == pytest.approx((54 + 53 + 47) / 3)
    assert gap.closed_mean_total == pytest.approx((48 + 40 + 36 + 34 + 25 + 21 + 12) / 7)
    change = {d: (a, b) for d, a, b in analysis.changes(e23, e24)}
    assert change["Stability"] == (47, 58) and change["AI21 Labs"] == (25, 75) and "Cohere" not in change
    feasible = analysis.feasibility(e23)
    assert len(feasible["satisfied_by_none"]) + len(feasible["satisfied_by_some"]) == 100
    means = analysis.indicator_means(e23)
    assert all(means[i] == 0 for i in feasible["satisfied_by_none"])


def test_2025_edition_has_its_own_indicator_set() -> None:
    edition = load_edition("2025")
    indicators = load_indicator_set(edition.indicator_set)
    assert edition.indicator_set == "fmti-2025" and len(indicators.indicators) == 100
    assert len(edition.developers) == 13 and all(len(d.scores) == 100 for d in edition.developers)
    assert "Accountability" in {
        i.subdomain for i in indicators.indicators
    }  # trailing space in the source trimmed
    with pytest.raises(TransparencyError, match="no mapping to the 2023 dimensions"):
        analysis.group_means(edition, indicators, "dimension")


def test_malformed_upstream_files_name_the_line(tmp_path: Path) -> None:
    lines = (FMTI / "May2024" / "May2024_scores.csv").read_text(encoding="utf-8-sig").splitlines()
    bad = list(lines)
    bad[5] = bad[5].replace(",1,", ",2,", 1) if ",1," in bad[5] else bad[5].replace(",0,", ",2,", 1)
    (tmp_path / "bad.csv").write_text("\ufeff" + "\n".join(bad) + "\n", encoding="utf-8")
    with pytest.raises(TransparencyError, match=r"bad.csv:6: score for .* must be 0 or 1, got '2'"):
        upstream("x", tmp_path / "bad.csv")
    (tmp_path / "short.csv").write_text("\n".join(lines[:50]) + "\n", encoding="utf-8")
    with pytest.raises(TransparencyError, match="49 indicator rows, but the set fmti-v1 has 100"):
        upstream("x", tmp_path / "short.csv")
    total = list(lines)
    total[-1] = total[-1].replace("33", "34", 1)
    (tmp_path / "total.csv").write_text("\n".join(total) + "\n", encoding="utf-8")
    with pytest.raises(TransparencyError, match="the Total for Adept is 34 but its scores add up to 33"):
        upstream("x", tmp_path / "total.csv")


def test_assessment_history_and_json_round_trip(any_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    aid = audit.create(
        any_store, developer="Acme", model="Acme-1", indicator_set="fmti-2025", assessor="auditor"
    )
    first = load_indicator_set("fmti-2025").ids()[:3]
    audit.set_score(
        any_store,
        aid,
        first[0],
        1,
        assessor="auditor",
        justification="documented",
        evidence=[{"url": "https://acme.example/report", "quote": 'We acquire data by "crawling" — 日本'}],
    )
    audit.set_score(any_store, aid, first[1], 1, assessor="auditor")
    old = audit.set_score(any_store, aid, first[1], 0, assessor="Acme", rebuttal="the page was removed")
    assert old == 1
    exported = audit.export_json(any_store, aid)
    data = json.loads(exported)
    assert [h["kind"] for h in data["history"]] == ["score", "score", "rebuttal"]
    assert data["scores"][first[1]]["score"] == 0 and data["history"][-1]["reason"] == "the page was removed"
    (tmp_path / "a.json").write_text(exported, encoding="utf-8")
    from assay.store import Store

    with Store.open(tmp_path / "other.db") as other:
        assert audit.import_json(other, tmp_path / "a.json") == aid
        assert audit.export_json(other, aid) == exported  # byte for byte
        with pytest.raises(Exception, match="already exists"):
            audit.import_json(other, tmp_path / "a.json")
    csv_text = audit.export_csv(any_store, aid)
    assert len(csv_text.strip().splitlines()) == 101 and "https://acme.example/report" in csv_text
    assert audit.as_developer_scores(any_store, aid).total == 1


def test_assessment_bad_input(any_store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TransparencyError, match="unknown indicator set"):
        audit.create(any_store, developer="A", model="m", indicator_set="fmti-1999", assessor="x")
    aid = audit.create(any_store, developer="A", model="m", indicator_set="fmti-v1", assessor="x")
    with pytest.raises(TransparencyError, match="has no indicator 'nope'"):
        audit.set_score(any_store, aid, "nope", 1, assessor="x")
    indicator = load_indicator_set("fmti-v1").ids()[0]
    with pytest.raises(TransparencyError, match="score must be 0 or 1"):
        audit.set_score(any_store, aid, indicator, 2, assessor="x")
    with pytest.raises(TransparencyError, match="url must start with http"):
        audit.set_score(any_store, aid, indicator, 1, assessor="x", evidence=[{"url": "javascript:alert(1)"}])
    with pytest.raises(TransparencyError, match="no score yet to rebut"):
        audit.set_score(any_store, aid, indicator, 0, assessor="dev", rebuttal="no")


def test_chart_specs_render() -> None:
    import vl_convert as vlc

    e23, e24, ind = load_edition("2023"), load_edition("2024"), load_indicator_set("fmti-v1")
    heat = charts.heatmap_spec(e24, ind)
    assert len(heat["data"]["values"]) == 14 * 23
    assert charts.ranked_totals_spec(e24)["data"]["values"][0]["developer"] == "BigCode"
    assert len(charts.open_closed_spec(e23, ind)["data"]["values"]) == 2 * 23
    assert len(charts.change_spec(e23, e24)["data"]["values"]) == 2 * 7
    assert vlc.vegalite_to_svg(heat).lstrip().startswith("<svg")


def test_cli_scores_and_an_assessment(tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "assay.cli.main", "transparency", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    scores = json.loads(cli("scores", "2023", "--json").stdout)
    assert {d["developer"]: d["total"] for d in scores["developers"]} == PUBLISHED_2023
    db = str(tmp_path / "t.db")
    aid = cli(
        "assess", "create", "--developer", "Acme", "--model", "A1", "--assessor", "me", "--db", db
    ).stdout.strip()
    indicator = load_indicator_set("fmti-2025").ids()[0]
    done = cli(
        "assess", "set", aid, indicator, "1", "--assessor", "me", "--url", "https://a.example", "--db", db
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(cli("assess", "show", aid, "--json", "--db", db).stdout)
    assert shown["scores"][indicator]["evidence"] == [{"url": "https://a.example"}]
    bad = cli("assess", "set", aid, indicator, "3", "--assessor", "me", "--db", db)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and "0 or 1" in bad.stderr
    out = tmp_path / "heat.svg"
    assert cli("chart", "heatmap", "--edition", "2023", "-o", str(out)).returncode == 0
    assert out.read_text().lstrip().startswith("<svg")
    assert asdict(load_edition("2023").developers[0])["developer"] == "Meta"


# --- bad input through the real entry point: one `error:` line, exit code 2 ---------------------
def main_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    from unittest.mock import patch

    from assay.cli.main import main

    with patch.object(sys, "argv", ["assay", "transparency", *args]), pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err
    assert stop.value.code == 2, err
    assert err.startswith("error: ") and "Traceback" not in err and err.count("\n") == 1, err
    return err


def test_cli_bad_edition_files_and_unwritable_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "edition file" in main_error(capsys, "scores", str(tmp_path / "nope.json"))
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    assert "expected a JSON object" in main_error(capsys, "scores", str(listed))
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe")
    assert "not UTF-8 text" in main_error(capsys, "scores", str(binary))
    blocked = tmp_path / "file"
    blocked.write_text("x", encoding="utf-8")  # a file where a folder should be
    err = main_error(capsys, "chart", "totals", "--out", str(blocked / "chart.json"))
    assert "a file stands where its folder should be" in err
    folder = tmp_path / "chart.json"
    folder.mkdir()
    assert "it is a directory" in main_error(capsys, "chart", "totals", "--out", str(folder))
    out = tmp_path / "new" / "chart.json"  # a missing folder is made
    from assay.cli.main import main

    with patch_argv("transparency", "chart", "totals", "--out", str(out)), pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code in (0, None) and json.loads(out.read_text(encoding="utf-8"))


def patch_argv(*args: str):  # type: ignore[no-untyped-def]
    from unittest.mock import patch

    return patch.object(sys, "argv", ["assay", *args])


def test_cli_assessment_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from assay.store import Store

    db = str(tmp_path / "a.db")
    with Store.open(db) as store:
        aid = audit.create(store, developer="D", model="M", indicator_set="fmti-2025", assessor="me")
    first = load_indicator_set("fmti-2025").indicators[0].id
    err = main_error(capsys, "assess", "set", aid, first, "1", "--assessor", " ", "--db", db)
    assert "needs an assessor" in err
    blocked = tmp_path / "file"
    blocked.write_text("x", encoding="utf-8")
    err = main_error(capsys, "assess", "export", aid, "--out", str(blocked / "a.json"), "--db", db)
    assert "cannot write" in err
    cases = {
        "[1, 2]": "format must be",
        '{"format": "assay-transparency-assessment/1", "indicator_set": "fmti-2025", "scores": [1]}': (
            "'scores' must map"
        ),
        '{"format": "assay-transparency-assessment/1", "indicator_set": "fmti-2025", '
        f'"scores": {{"{first}": 5}}}}': "score must be 0 or 1",
        '{"format": "assay-transparency-assessment/1", "indicator_set": "fmti-2025", '
        f'"scores": {{"{first}": {{"score": 1, "evidence": 5}}}}}}': "evidence must be a list",
    }
    path = tmp_path / "in.json"
    for content, fragment in cases.items():
        path.write_text(content, encoding="utf-8")
        assert fragment in main_error(capsys, "assess", "import", str(path), "--db", db)
    path.write_bytes(b"\xff\xfe")
    assert "not UTF-8 text" in main_error(capsys, "assess", "import", str(path), "--db", db)
