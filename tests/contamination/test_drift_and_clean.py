"""Drift and clean-subset scores on real runs: two runs of one model name made with the stub OpenAI
server answering differently, a stored scan of a corpus holding three of the items, and the CLI."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import delete, inspect, text
from typer.testing import CliRunner

import assay
from assay.cli.main import app
from assay.contamination.items import build_tasks
from assay.core.errors import AssayError
from assay.store import Store
from assay.store.migrations import MIGRATIONS, SCHEMA_VERSION, v7_contamination
from assay.store.schema import SchemaVersion
from assay.web.app import create_app

LIMIT = 12


def _run(stub_salt: str, db) -> str:
    from stub_openai import StubServer

    with StubServer(delay_s=0.0, salt=stub_salt) as stub:
        result = assay.evaluate(
            ["openai:stub"], ["gsm8k"], limit=LIMIT, model_args={"base_url": stub.base_url}, store=db
        )
    return result.run_id


def test_drift_and_clean_scores_on_two_stub_runs(tmp_path):
    db = tmp_path / "drift.db"
    first, second = _run("one", db), _run("two", db)
    rows = {run: {r["sample_id"]: r for r in assay.records(run, store=db)} for run in (first, second)}

    report = assay.drift("openai:stub", store=db)
    assert [p.run_id for p in report.history] == [first, second]
    (step,) = report.steps
    assert (step.run_before, step.run_after, step.shared) == (first, second, LIMIT)
    changed = {s for s in rows[first] if rows[first][s]["extracted"] != rows[second][s]["extracted"]}
    assert changed and {a.sample_id for a in step.changed} == changed
    before = [rows[first][s]["score"] for s in sorted(rows[first])]
    after = [rows[second][s]["score"] for s in sorted(rows[first])]
    assert step.comparison is not None
    assert abs(step.comparison.difference - (sum(after) - sum(before)) / LIMIT) < 1e-9
    assert step.comparison.low <= step.comparison.difference <= step.comparison.high

    # a corpus with three of the twelve questions: the clean subset leaves them out
    samples = list(build_tasks(["gsm8k"])[0].samples())[:LIMIT]
    planted = {samples[i].id for i in (0, 4, 9)}
    corpus = tmp_path / "corpus.txt"
    filler = [f"line {i} of unrelated words about nothing at all" for i in range(200)]
    corpus.write_text("\n".join(filler[:50] + [s.input for s in samples if s.id in planted] + filler[50:]))
    scan = assay.contamination_scan([corpus], ["gsm8k"], store=db)
    assert scan.scan_id and [(t.task, t.flagged) for t in scan.tasks] == [("gsm8k", 3)]
    board = assay.clean_leaderboard([second], store=db)
    (row,) = board.rows
    clean = [rows[second][s]["score"] for s in rows[second] if s not in planted]
    assert (row.full_n, row.clean_n, row.flagged_n) == (LIMIT, LIMIT - 3, 3)
    assert abs(row.clean - sum(clean) / len(clean)) < 1e-9

    runner = CliRunner()
    out = runner.invoke(app, ["drift", "openai:stub", "--db", str(db), "--json"])
    assert out.exit_code == 0, out.output
    assert len(json.loads(out.stdout)["steps"][0]["changed"]) == len(changed)
    out = runner.invoke(app, ["contamination", "leaderboard", "--db", str(db), "--run", second, "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["rows"][0]["flagged_n"] == 3
    out = runner.invoke(app, ["contamination", "hits", "--db", str(db)])
    # the table may wrap a long path anywhere: read it without the line breaks and padding
    assert out.exit_code == 0 and "corpus.txt:51" in "".join(out.stdout.split())
    with Store.open(db) as store, TestClient(create_app(store)) as client:
        page = client.get("/models/openai:stub/history")
        assert page.status_code == 200 and second[:12] in page.text
        assert f"Answers that changed ({len(changed)})" in page.text
        assert "No run of this model" in client.get("/models/nobody/history").text

    out = runner.invoke(app, ["drift", "nobody", "--db", str(db)])  # `assay` prints it as one line
    assert isinstance(out.exception, AssayError) and "no run of model 'nobody'" in str(out.exception)


def test_a_v6_store_gains_the_contamination_tables(any_store):
    with any_store.engine.begin() as conn:  # back to v6: a store written before contamination scans
        conn.execute(text("DROP TABLE contamination_hits"))
        conn.execute(text("DROP TABLE contamination_scans"))
        conn.execute(delete(SchemaVersion).where(SchemaVersion.version > MIGRATIONS.index(v7_contamination)))
    any_store.close()
    with Store.open(any_store.url) as store:
        names = inspect(store.engine).get_table_names()
        assert {"contamination_scans", "contamination_hits"} <= set(names)
        with store.reading() as conn:
            versions = [
                v for (v,) in conn.execute(text("SELECT version FROM schema_version ORDER BY version"))
            ]
        assert versions == list(range(1, SCHEMA_VERSION + 1))
