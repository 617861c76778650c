"""An agent transcript through every front door: `assay show --transcript` (text and JSON) and the
run explorer, with hostile model text escaped."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from agent_stub import AgentStub, tool
from assay.arena import ArenaConfig
from assay.cli.main import app as cli_app
from assay.core.errors import AssayError
from assay.core.spec import RunSpec, TaskConfig
from assay.engine.run import evaluate
from assay.sandbox import sandbox_problem
from assay.store import Store
from assay.web.app import create_app

pytestmark = pytest.mark.skipif(sandbox_problem() is not None, reason="bubblewrap cannot run here")
HOSTILE = "<script>alert('x')</script>"


def hostile_agent(messages: list[dict]) -> str:
    step = sum(m["role"] == "assistant" for m in messages)
    if step == 0:
        return HOSTILE + "\n" + tool("bash", command=f'echo "{HOSTILE}"')
    return tool("submit", summary=HOSTILE)


def test_a_transcript_is_shown_step_by_step_in_the_cli_and_the_run_explorer_escaped(tmp_path):
    db = tmp_path / "v.db"
    with AgentStub(hostile_agent) as stub, Store.open(db) as store:
        spec = RunSpec(
            models=("openai:agent",),
            model_args={"base_url": stub.base_url, "mode": "chat"},
            tasks=(TaskConfig("agent", {"problems": "celsius", "tools_api": "false"}),),
        )
        run_id = evaluate(spec, store).run_id

    shown = CliRunner().invoke(cli_app, ["show", run_id, "--transcript", "celsius", "--db", str(db)])
    assert shown.exit_code == 0, shown.output
    assert "turn 1" in shown.output and "turn 2" in shown.output and "stopped: submit" in shown.output
    args = ["show", run_id, "--transcript", "celsius", "--db", str(db)]
    as_json = CliRunner().invoke(cli_app, [*args, "--json"])
    record = json.loads(as_json.output)
    assert [t["call"]["name"] for t in record["turns"]] == ["bash", "submit"]
    assert record["turns"][0]["observation"].startswith(f"Result of bash:\n{HOSTILE}")
    missing = CliRunner().invoke(cli_app, ["show", run_id, "--transcript", "nope", "--db", str(db)])
    assert isinstance(missing.exception, AssayError)  # main() prints it as one line
    assert "no sample 'nope'" in str(missing.exception)

    with Store.open(db) as store, TestClient(create_app(store, ArenaConfig(models=("m1", "m2")))) as client:
        run_page = client.get(f"/runs/{run_id}").text
        assert f"/runs/{run_id}/transcript?sample=celsius" in run_page
        page = client.get(f"/runs/{run_id}/transcript", params={"sample": "celsius"})
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text
        assert 'id="turn-2"' in page.text
        assert client.get(f"/runs/{run_id}/transcript", params={"sample": "nope"}).status_code == 404
