"""End to end: a task file that names its cluster, run against the stub OpenAI server, and every front
door shows the clustered interval and the rank intervals (API, CLI table/JSON/CSV, HTML report)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

import assay
from assay.cli.main import app
from stub_openai import StubServer

SPEC = """
name: passages
dataset: {path: data.jsonl}
fields: {id: id, target: answer, cluster: passage}
prompt: "Passage {{ passage }}. Question {{ id }}: what is the number?"
output: {type: generate, extract: number, max_tokens: 16}
metrics: [exact_match]
"""


def test_clustered_intervals_and_rank_intervals_reach_every_front_door(tmp_path: Path) -> None:
    rows = [{"id": f"q{i}", "passage": i // 4, "answer": str(i % 100)} for i in range(12)]
    (tmp_path / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "task.yaml").write_text(SPEC)
    db = str(tmp_path / "runs.db")
    with StubServer(delay_s=0.0) as stub:
        assay.evaluate(
            ["openai:stub-a", "openai:stub-b"],
            [str(tmp_path / "task.yaml")],
            model_args={"base_url": stub.base_url},
            store=db,
        )
    board = assay.leaderboard(store=db, rank_resamples=200)
    assert {(r.method, r.clusters, r.n) for r in board.rows} == {("clustered-wilson", 3, 12)}
    for row in board.rows:
        assert row.low is not None and row.high is not None and 0 <= row.low <= row.value <= row.high <= 1
    # the stub answers from the prompt alone: the two models agree on every item, so they tie
    assert [(r.rank, r.low, r.high, r.group) for r in board.ranks] == [(1, 1, 1, 1), (1, 1, 1, 1)]
    frame = board.to_frame()
    assert {"rank", "rank_low", "rank_high", "tie_group", "passages low", "passages high"} <= set(
        frame.columns
    )

    runner = CliRunner()
    table = runner.invoke(app, ["leaderboard", "--db", db])
    assert table.exit_code == 0 and "tie group" in table.output and "clustered-wilson" in table.output
    as_json = json.loads(runner.invoke(app, ["leaderboard", "--json", "--db", db]).output)
    assert as_json["rows"][0]["method"] == "clustered-wilson" and len(as_json["ranks"]) == 2
    as_csv = list(
        csv.DictReader(io.StringIO(runner.invoke(app, ["leaderboard", "--csv", "--db", db]).output))
    )
    assert as_csv[0]["clusters"] == "3" and as_csv[0]["tie_group"] == "1"

    html = assay.report("latest", tmp_path / "report.html", store=db).read_text(encoding="utf-8")
    assert "clustered-wilson" in html and "Tie group" in html
