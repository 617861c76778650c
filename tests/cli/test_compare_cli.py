"""`assay compare A B` as a user meets it: a table with verdicts, --json equal to the API, one-line errors;
and end to end on two real runs of the engine against the stub OpenAI server."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

import assay
from assay.cli.main import app, main
from assay.core.errors import AssayError
from assay.store import Store
from paired_runs import correlated_binary, write_run
from stub_openai import StubServer


def invoke(*args, db):
    """In process (a subprocess costs seconds of imports); wide enough that a verdict stays on one line."""
    return CliRunner().invoke(app, ["compare", *args, "--db", str(db)], env={"COLUMNS": "220"})


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    db = tmp_path_factory.mktemp("compare") / "compare.db"
    a, b = correlated_binary(200, 0.8, 0.55, seed=7)
    with Store.open(db) as store:
        run_id = write_run(
            store,
            {"alpha": {"clear": a, "close": [*a[:50], None]}, "[bold]beta": {"clear": b, "close": a[:50]}},
        )
    return db, run_id


def test_table_names_the_sides_and_says_the_verdicts(stored):
    db, run_id = stored
    result = invoke(f"{run_id}:alpha", "latest:[bold]beta", db=db)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"A = alpha: alpha from run {run_id}" in out
    assert "B = [bold]beta" in out  # a model's name is shown as written, never read as markup
    assert "alpha is better than [bold]beta by" in out
    assert "no detectable difference" in out
    assert (
        "close: dropped 1 only in A, 0 only in B, 0 without a score, 0 changed (without a score: 1 of A's"
        in out
    )


def test_json_is_the_api_result(stored):
    db, run_id = stored
    result = invoke(f"{run_id}:alpha", f"{run_id}:[bold]beta", "--json", "-t", "clear", db=db)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    expected = assay.compare(f"{run_id}:alpha", f"{run_id}:[bold]beta", tasks=["clear"], store=str(db))
    assert data["tasks"] == json.loads(json.dumps(expected.to_dict()["tasks"]))
    assert data["a"]["model"] == "alpha" and data["correction"] == "holm"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["{run}", "alpha"], "name one as {run}:MODEL"),
        (["{run}:gamma", "alpha"], "has no model 'gamma'"),
        (["{run}:alpha", "{run}:[bold]beta", "-t", "nope"], "has no results for task 'nope'"),
    ],
)
def test_bad_names_are_user_errors(stored, args, fragment):
    db, run_id = stored
    result = invoke(*[a.format(run=run_id) for a in args], db=db)
    assert isinstance(result.exception, AssayError)
    assert fragment.format(run=run_id) in str(result.exception)


def test_a_name_that_matches_nothing_is_one_line_and_exit_2(stored, monkeypatch, capsys):
    """Through the console script's entry point (in process: a subprocess costs seconds of imports)."""
    db, _ = stored
    monkeypatch.setattr(sys, "argv", ["assay", "compare", "nobody", "alpha", "--db", str(db)])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and "'nobody' is no run id, RUN:MODEL or model name" in lines[0], lines


def test_two_engine_runs_against_the_stub_server(tmp_path):
    """Real runs: the same stub model prompted two ways (chat, completion) on the same GSM8K samples."""
    db = tmp_path / "runs.db"
    with StubServer(delay_s=0.0) as stub, Store.open(db) as store:
        ids = [
            assay.evaluate(
                "openai:stub", "gsm8k", limit=12, prompt_mode=mode, model_args={"base_url": stub.base_url},
                store=store,
            ).run_id
            for mode in ("chat", "completion")
        ]  # fmt: skip
    result = invoke(ids[0], ids[1], "--json", db=db)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (task,) = data["tasks"]
    assert (data["a"]["label"], data["b"]["label"]) == (ids[0], ids[1])
    assert (task["task"], task["metric"], task["shared"], task["dropped"]) == ("gsm8k", "exact_match", 12, 0)
    assert task["test"] == "mcnemar-exact" and not task["significant"]
    assert task["verdict"].startswith("no detectable difference; this run could detect ")
    model = data["a"]["model"]  # the bare model name means its newest results: the second run
    newest = assay.compare(f"{ids[0]}:{model}", model, store=str(db))
    assert newest.b.runs == (ids[1],) and newest.tasks[0].shared == 12
