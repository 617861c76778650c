"""The agent loop end to end through a real OpenAI-format server: a scripted agent solves problems,
limits stop a loop that never submits, and a run killed mid-attempt resumes at its last stored turn."""

from __future__ import annotations

import json

import pytest

from agent_stub import AgentStub, function_call, tool
from assay.core.spec import RunSpec, TaskConfig
from assay.engine.run import evaluate
from assay.metrics.agentic import agentic_summary
from assay.sandbox import sandbox_problem
from assay.store import Store
from assay.store.transcripts import turns
from assay.tasks.agent.task import agent

pytestmark = pytest.mark.skipif(sandbox_problem() is not None, reason="bubblewrap cannot run here")
PROBLEMS = agent().problems


def solver(messages: list[dict]) -> str:
    """Patch with the problem's solution, run the tests, submit."""
    problem = next(p for p in PROBLEMS.values() if p.goal.strip() in messages[1]["content"])
    step = sum(m["role"] == "assistant" for m in messages)
    return [
        tool("apply_patch", patch=problem.solution),
        tool("bash", command="python -m unittest 2>&1 | tail -1"),
        tool("submit", summary="fixed"),
    ][step]


def spec(stub: AgentStub, options: dict, **run: object) -> RunSpec:
    return RunSpec(
        models=("openai:agent",),
        model_args={"base_url": stub.base_url, "mode": "chat"},
        tasks=(TaskConfig("agent", options),),
        **run,  # type: ignore[arg-type]
    )


def test_a_scripted_agent_resolves_problems_and_every_turn_is_stored(tmp_path):
    with AgentStub(solver) as stub, Store.open(tmp_path / "a.db") as store:
        result = evaluate(spec(stub, {"problems": "median-even,two-files", "price_in": 1.0}), store)
        rows = store.results(result.run_id)
        assert result.status == "done" and len(rows) == 2
        for row in rows:
            assert row.scores is not None
            assert row.scores["resolved"] == 1.0 and row.scores["turns"] == 3.0
            assert row.scores["tool_errors"] == 0.0 and row.scores["tokens"] == 360.0
            transcript = turns(store, row.key)
            assert [t["call"]["name"] for t in transcript] == ["apply_patch", "bash", "submit"]
            assert transcript[1]["observation"].startswith("Result of bash:\nOK")
            assert transcript[-1]["stop"] == "submit"
            assert "+++ b/" in json.loads(row.response["text"])["diff"]
    from assay.core.types import Sample, Score

    summary = agentic_summary([(Sample(id=r.sample_id, input=""), Score(values=r.scores)) for r in rows])
    assert summary["resolved_rate"] == 1.0 and 0.3 < summary["resolved_low"] < 1.0
    assert summary["pass@1"] == 1.0 and summary["cost_usd"] == pytest.approx(2 * 300 / 1e6)


def test_limits_stop_an_agent_that_never_submits_and_bad_calls_count_as_tool_errors(tmp_path):
    def wanderer(messages: list[dict]) -> str:
        step = sum(m["role"] == "assistant" for m in messages)
        return "I am thinking." if step == 0 else tool("bash", command="true")

    with AgentStub(wanderer) as stub, Store.open(tmp_path / "b.db") as store:
        result = evaluate(spec(stub, {"problems": "clamp", "max_turns": 3}), store)
        (row,) = store.results(result.run_id)
        assert row.scores is not None and row.scores["resolved"] == 0.0
        assert (
            row.scores["turns"] == 3.0 and row.scores["tool_errors"] == 1.0 and row.scores["submitted"] == 0.0
        )
        assert json.loads(row.response["text"])["stop"] == "max_turns"
        assert turns(store, row.key)[0]["observation"].startswith("error: no tool call found")


def test_a_run_killed_mid_attempt_resumes_at_its_last_stored_turn(any_store):
    failing = {"on": True}

    def flaky(messages: list[dict]) -> str:
        step = sum(m["role"] == "assistant" for m in messages)
        if step == 1 and failing["on"]:
            raise RuntimeError("the backend went away")
        return solver(messages)

    store = any_store
    with AgentStub(flaky) as stub:
        options = {"problems": "celsius"}
        first = evaluate(spec(stub, options, max_attempts=1), store)
        (row,) = store.results(first.run_id)
        assert first.status == "done_with_errors" and row.response is None and row.error
        assert [t["turn"] for t in turns(store, row.key)] == [1]
        failing["on"] = False
        stub.requests.clear()
        second = evaluate(spec(stub, options, max_attempts=1), store)
        (row,) = store.results(second.run_id)
        # The second run asked only for turns 2 and 3, with turn 1 replayed from the transcript.
        assert len(stub.requests) == 2
        assert "apply_patch" in stub.requests[0]["messages"][2]["content"]
        assert row.scores is not None and row.scores["resolved"] == 1.0
        assert [t["turn"] for t in turns(store, row.key)] == [1, 2, 3]


def test_through_the_tools_api_calls_come_back_as_tool_messages(tmp_path):
    def api_agent(messages: list[dict]) -> dict:
        step = sum(m["role"] == "assistant" for m in messages)
        if step == 0:
            return function_call("write_file", path="bounds.py", content=FIXED_CLAMP)
        return function_call("submit", call_id="call_2", summary="done")

    with AgentStub(api_agent) as stub, Store.open(tmp_path / "d.db") as store:
        result = evaluate(spec(stub, {"problems": "clamp"}), store)
        (row,) = store.results(result.run_id)
        assert row.scores is not None and row.scores["resolved"] == 1.0
        first, second = stub.requests
        assert {t["function"]["name"] for t in first["tools"]} >= {"bash", "apply_patch", "submit"}
        assert "```tool" not in first["messages"][0]["content"]  # no text protocol taught
        said, answer = second["messages"][2:]
        assert said["tool_calls"][0]["function"]["name"] == "write_file"
        assert answer == {
            "role": "tool",
            "content": "Result of write_file:\nwrote bounds.py",
            "tool_call_id": "call_1",
        }
        off = evaluate(spec(stub, {"problems": "clamp", "tools_api": "false"}), store)
        assert "tools" not in stub.requests[-1] and off.status == "done"


FIXED_CLAMP = "def clamp(x, low, high):\n    return max(low, min(x, high))\n"
