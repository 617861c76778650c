"""The command line as a user meets it: one-line errors, tables, JSON/CSV, exports and reports."""

import csv
import io
import json
import subprocess
import sys

import pandas as pd
import pytest


def assay(*args, db=None, env=None):
    extra = ["--db", str(db)] if db is not None else []
    return subprocess.run(
        [sys.executable, "-m", "assay.cli.main", *args, *extra],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def assert_one_line_error(proc, *fragments):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    db = tmp_path_factory.mktemp("cli") / "cli.db"
    proc = assay(
        "run",
        "-m",
        "smollm2-135m",
        "-t",
        "gsm8k",
        "-t",
        "arithmetic_mc",
        "--limit",
        "3",
        "--no-progress",
        "--json",
        db=db,
    )
    assert proc.returncode == 0, proc.stderr
    return db, json.loads(proc.stdout)


def test_run_json_reports_rows_and_stats(evaluated):
    _, result = evaluated
    assert result["status"] == "done"
    assert result["stats"]["planned"] == 6
    assert {(r["model"], r["task"]) for r in result["rows"]} == {
        ("smollm2-135m", "gsm8k"),
        ("smollm2-135m", "arithmetic_mc"),
    }
    assert all(r["n"] == 3 for r in result["rows"])


def test_leaderboard_table_json_and_csv(evaluated):
    db, result = evaluated
    table = assay("leaderboard", db=db)
    assert table.returncode == 0 and "smollm2-135m" in table.stdout and "gsm8k" in table.stdout
    as_json = json.loads(assay("leaderboard", "--json", db=db).stdout)
    by_task = {r["task"]: r for r in as_json["rows"]}
    assert by_task["gsm8k"]["metric"] == "exact_match"
    assert by_task["arithmetic_mc"]["metric"] == "acc"
    rows = list(csv.DictReader(io.StringIO(assay("leaderboard", "--csv", db=db).stdout)))
    assert {r["task"] for r in rows} == {"gsm8k", "arithmetic_mc"}
    run_rows = {r["task"]: r["value"] for r in result["rows"]}
    assert float(rows[0]["value"]) == pytest.approx(run_rows[rows[0]["task"]])


def test_show_lists_prompt_response_extracted_and_score(evaluated):
    db, result = evaluated
    shown = json.loads(assay("show", result["run_id"][:12], "--json", db=db).stdout)
    assert len(shown) == 6
    gsm = [s for s in shown if s["task"] == "gsm8k"]
    assert gsm[0]["prompt"].startswith("[") and "Janet" in gsm[0]["prompt"]
    assert gsm[0]["response"] and "score.exact_match" in gsm[0]
    text = assay("show", "latest", db=db).stdout
    assert "extracted:" in text and "target:" in text


@pytest.mark.parametrize("suffix", [".json", ".csv", ".parquet"])
def test_export_round_trips(evaluated, tmp_path, suffix):
    db, result = evaluated
    out = tmp_path / f"results{suffix}"
    proc = assay("export", result["run_id"], "-o", str(out), db=db)
    assert proc.returncode == 0, proc.stderr
    frame = {".json": pd.read_json, ".csv": pd.read_csv, ".parquet": pd.read_parquet}[suffix](out)
    assert len(frame) == 6
    assert {"model", "task", "sample_id", "response", "extracted", "score.acc"} <= set(frame.columns)


def test_report_is_self_contained(evaluated, tmp_path):
    db, result = evaluated
    out = tmp_path / "r.html"
    proc = assay("report", result["run_id"], "-o", str(out), db=db)
    assert proc.returncode == 0, proc.stderr
    html = out.read_text()
    assert "<svg" in html and "smollm2-135m" in html
    assert 'src="http' not in html and 'href="http' not in html


def test_user_mistakes_are_one_line_errors(tmp_path):
    db = tmp_path / "e.db"
    assert_one_line_error(
        assay("run", "-m", "nope-model", "--no-progress", db=db), "unknown model", "nope-model"
    )
    assert_one_line_error(assay("run", "-t", "gsm9k", "--no-progress", db=db), "unknown task", "gsm8k")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q", "answer": "#### 1"}\n{broken\n')
    assert_one_line_error(
        assay("run", "-t", "gsm8k", "--task-arg", f"gsm8k.path={bad}", "--no-progress", db=db), f"{bad}:2"
    )
    assert_one_line_error(assay("show", "no-such-run", db=db), "no run")
    assert_one_line_error(assay("leaderboard", db="postgresql://u:secret@127.0.0.1:1/x"), "cannot open")
    assert "secret" not in assay("leaderboard", db="postgresql://u:secret@127.0.0.1:1/x").stderr
    assert_one_line_error(assay("export", "latest", "-o", str(tmp_path / "x.xlsx"), db=db), "no run")
    assert_one_line_error(assay("run", "--prompt-mode", "weird", db=db), "--prompt-mode")


def test_export_format_is_checked(evaluated, tmp_path):
    db, result = evaluated
    assert_one_line_error(
        assay("export", result["run_id"], "-o", str(tmp_path / "x.xlsx"), db=db), ".parquet"
    )


def test_nothing_stored_is_lost_when_a_later_run_fails(evaluated):
    db, result = evaluated
    assay("run", "-m", "nope-model", "--no-progress", db=db)
    shown = json.loads(assay("show", result["run_id"], "--json", db=db).stdout)
    assert len(shown) == 6 and all(s["response"] for s in shown)


def test_yaml_spec_runs_and_bad_yaml_names_the_place(tmp_path):
    db = tmp_path / "y.db"
    good = tmp_path / "run.yaml"
    good.write_text("models: [smollm2-135m]\ntasks:\n  - {name: arithmetic_mc, limit: 2, seed: 9}\nseed: 1\n")
    proc = assay("run", "--spec", str(good), "--json", "--no-progress", db=db)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["stats"]["planned"] == 2

    broken = tmp_path / "broken.yaml"
    broken.write_text("models: [smollm2-135m\ntasks: [gsm8k]\n")
    assert_one_line_error(assay("run", "--spec", str(broken), db=db), f"{broken}:")
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("models: [smollm2-135m]\ntasks: [gsm8k]\nlimitt: 3\n")
    assert_one_line_error(assay("run", "--spec", str(unknown), db=db), "unknown field 'limitt'")
    wrong_type = tmp_path / "wrong.yaml"
    wrong_type.write_text("models: smollm2-135m\ntasks: [gsm8k]\n")
    assert_one_line_error(assay("run", "--spec", str(wrong_type), db=db), "models", "expected a list")
    bad_task = tmp_path / "task.yaml"
    bad_task.write_text("models: [smollm2-135m]\ntasks: [{name: gsm8k, limit: 2, shots: 3}]\n")
    assert_one_line_error(
        assay("run", "--spec", str(bad_task), "--no-progress", db=db), "gsm8k", "bad option"
    )
