"""Every judge call goes through the engine: a real llama-cpp-python server on SmolLM2 behind a fault proxy.

A request that fails for a moment is retried and its verdict comes out; one that fails every attempt is
stored as an error and becomes a judgement error (never a verdict, never a tie, never a battle); a judge
command killed half way resumes and asks the model only for what is not stored; a finished one asks
nothing at all; one call needed twice at once is asked once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import assay
from assay.store import Store
from faultproxy import FaultProxy

QUESTIONS = [
    ("q1", "What is 2 + 2?", "4", "5"),
    ("q2", "Name a colour.", "Blue.", "Banana."),
    ("q3", "What is the capital of France?", "Paris.", "Berlin."),
    ("q4", "Say hello.", "Hello!", "Goodbye."),
]
CALLS = 2 * len(QUESTIONS)  # one pair per question, judged in both orders
# A 135M judge rarely writes [[A]]; asked for one letter, with one token to write, it gives one.
PROMPTS = {
    "pairwise": {
        "version": "one-letter-1",
        "system": "You pick the better answer. Reply with one letter.",
        "user": "Question: {question}\nAnswer A: {answer_a}\nAnswer B: {answer_b}\n"
        "Which answer is better, A or B? Reply with the letter only.",
    }
}


@pytest.fixture
def proxy(llama_server):
    with FaultProxy(llama_server.removesuffix("/v1")) as proxy:
        yield proxy


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    q, a, p = tmp_path / "q.jsonl", tmp_path / "a.jsonl", tmp_path / "prompts.yaml"
    q.write_text("".join(json.dumps({"question_id": i, "turns": [t]}) + "\n" for i, t, _, _ in QUESTIONS))
    rows = [
        {"question_id": i, "model": model, "turns": [text]}
        for i, _, good, bad in QUESTIONS
        for model, text in (("good", good), ("bad", bad))
    ]
    a.write_text("".join(json.dumps(r) + "\n" for r in rows))
    p.write_text(json.dumps(PROMPTS))  # JSON is YAML
    return {"questions": q, "answers": a, "prompts": p}


def judge_args(proxy: FaultProxy) -> dict[str, object]:
    return {"base_url": f"http://127.0.0.1:{proxy.port}/v1", "max_concurrency": 1}


def posts(proxy: FaultProxy) -> int:
    """Model requests that reached the proxy (the reachability check is a GET)."""
    return sum(r.method == "POST" for r in proxy.requests)


def test_transient_failures_are_retried_and_lasting_ones_are_errors_never_verdicts(proxy, inputs, tmp_path):
    db = tmp_path / "j.db"
    # Faults meet requests in arrival order, and with one call at a time that order is fixed:
    proxy.delay_next(1, 0.0)  # the reachability check goes through,
    proxy.fail_next(1, 503)  # the first call fails once
    proxy.delay_next(1, 0.0)  # and is answered on its retry,
    proxy.fail_next(2, 500)  # the second call fails both of its attempts.

    def judged():
        return assay.judge_pairwise(
            inputs["questions"], inputs["answers"], judge="openai:smollm2", judge_args=judge_args(proxy),
            prompts=inputs["prompts"], max_tokens=1, max_attempts=2, prior=1.0, ci="none", store=db,
        )  # fmt: skip

    first = judged()
    summary = first.calls.summary
    assert summary is not None and first.run_id is not None
    assert (summary.planned, summary.sent, summary.answered, summary.errors) == (
        CALLS,
        CALLS + 2,
        CALLS - 1,
        1,
    )
    failed = [j for j in first.judgements if j.error and j.error.startswith("judge request failed:")]
    assert len(failed) == 1 and "500" in failed[0].error and failed[0].winner is None
    assert failed[0].consistent is None  # not a disagreement, so not a tie either
    retried = first.judgements[0]  # the first call was asked again and answered
    assert "judge request failed" not in (retried.error or "") and retried.forward.raw
    # The battles are exactly the judgements with a winner; the failed pair is none of them.
    assert len(first.battles) == sum(j.winner is not None for j in first.judgements)
    assert failed[0].question_id not in set(first.battles["question_id"])
    assert first.battles_stored == len(first.battles) and first.position[0].errors >= 1
    with Store.open(db) as store:
        rows = store.results(first.run_id)
        record = store.get_run(first.run_id)
    errors = [r for r in rows if r.error is not None]
    assert len(rows) == CALLS and len(errors) == 1
    assert "500" in errors[0].error and errors[0].response is None
    assert record.status == "done_with_errors" and record.plan.kind == "judge"
    assert record.spec.models == ("openai:smollm2",) and record.spec.tasks[0].name == "judge:pairwise"
    assert record.spec.tasks[0].options["questions"] == str(inputs["questions"])

    # The same call again asks only for the failed one, and now every pair has its verdict back.
    proxy.reset()
    again = judged()
    assert again.calls.summary is not None
    assert (again.calls.summary.sent, again.calls.summary.cached) == (1, CALLS - 1) and posts(proxy) == 1
    assert not any(j.error and "judge request failed" in j.error for j in again.judgements)
    same = [(x, y) for x, y in zip(first.judgements, again.judgements, strict=True) if x is not failed[0]]
    assert all(x == y for x, y in same)


def judge_command(proxy: FaultProxy, inputs: dict[str, Path], db: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "assay", "judge", "pairwise",
        "--judge", "openai:smollm2",
        "--judge-arg", f"base_url=http://127.0.0.1:{proxy.port}/v1", "--judge-arg", "max_concurrency=1",
        "--questions", str(inputs["questions"]), "--answers", str(inputs["answers"]),
        "--prompts", str(inputs["prompts"]), "--max-tokens", "1",
        "--prior", "1", "--ci", "none", "--no-progress", "--json", "--db", str(db), "--out", str(out),
    ]  # fmt: skip


def run_to_end(command: list[str]) -> dict:
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def wait_for_responses(store: Store, proc: subprocess.Popen, count: int, log: Path) -> None:
    """Until `count` answers are stored (a guard stops a test that would otherwise hang)."""
    guard = time.monotonic() + 300
    while store.counts()["responses"] < count:
        if proc.poll() is not None:
            pytest.fail(f"the judge exited early: {log.read_text(errors='replace')}")
        if time.monotonic() > guard:
            pytest.fail(f"fewer than {count} answers were stored")
        time.sleep(0.1)


def latest_summary(db: Path):
    with Store.open(db) as store:
        run = store.get_run("latest")
    assert run.summary is not None
    return run.status, run.summary


def test_a_killed_judge_resumes_asking_only_what_is_missing_and_a_finished_one_asks_nothing(
    proxy, inputs, tmp_path
):
    answered = 3
    db, out = tmp_path / "killed.db", tmp_path / "killed.jsonl"
    # The check and the first calls go through; every later call hangs, so the judge is surely still
    # at work when it is killed, with exactly `answered` answers stored.
    proxy.delay_next(1 + answered, 0.0)
    proxy.delay_next(100, 3600.0)
    log = tmp_path / "killed.log"
    with Store.open(db) as store, log.open("wb") as err:  # the store is made before the judge writes to it
        proc = subprocess.Popen(
            judge_command(proxy, inputs, db, out), stdout=subprocess.DEVNULL, stderr=err,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        try:
            wait_for_responses(store, proc, answered, log)
        finally:
            proc.kill()  # SIGKILL: no clean-up of any kind
            proc.wait()
        assert store.counts()["responses"] == answered
        assert store.get_run("latest").status == "running"  # killed, never finished
    assert not out.exists()

    proxy.reset()
    resumed = run_to_end(judge_command(proxy, inputs, db, out))
    status, summary = latest_summary(db)
    assert posts(proxy) == CALLS - answered
    assert (summary.sent, summary.cached, summary.planned) == (CALLS - answered, answered, CALLS)
    assert status == "done" and resumed["pairs"] == len(QUESTIONS)

    proxy.reset()  # the same command with a fresh store: no interruption
    whole_out = tmp_path / "whole.jsonl"
    whole = run_to_end(judge_command(proxy, inputs, tmp_path / "whole.db", whole_out))
    assert posts(proxy) == CALLS
    assert out.read_text(encoding="utf-8") == whole_out.read_text(encoding="utf-8")
    assert resumed == whole

    proxy.reset()  # the finished command again: every answer is in the store
    rerun_out = tmp_path / "rerun.jsonl"
    rerun = run_to_end(judge_command(proxy, inputs, db, rerun_out))
    status, summary = latest_summary(db)
    assert posts(proxy) == 0 and (summary.sent, summary.cached) == (0, CALLS)
    assert rerun["battles_stored"] == 0  # the battles were stored by the resumed run
    assert {k: v for k, v in rerun.items() if k != "battles_stored"} == {
        k: v for k, v in resumed.items() if k != "battles_stored"
    }
    assert rerun_out.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def test_one_call_asked_twice_at_once_reaches_the_model_once(tmp_path):
    """Two judgements that need the same call (same model, task, prompt) while it is out share it."""
    import asyncio

    from assay.core.spec import RunSpec, TaskConfig
    from assay.core.types import GenerateRequest, GenerationParams, Message
    from assay.engine.session import EngineSession, RoutedModel
    from assay.models import build_model, parse_model

    request = GenerateRequest(messages=(Message("user", "Say yes."),), params=GenerationParams(max_tokens=3))

    async def twice(store):
        model = build_model(parse_model("smollm2-135m"))
        spec = RunSpec(models=("smollm2-135m",), tasks=(TaskConfig("judge:test"),))
        session = EngineSession.open(store, spec, kind="judge", models=(model,))
        routed = RoutedModel(model, session, task_name="judge:test", task_version="1")
        try:
            answers = await asyncio.gather(routed.generate(request), routed.generate(request))
        finally:
            await routed.aclose()
        session.finish()
        return session, answers

    with Store.open(tmp_path / "s.db") as store:
        session, (one, other) = asyncio.run(twice(store))
        summary = session.summary()
        assert one == other and (summary.planned, summary.sent, summary.cached) == (2, 1, 1)
        assert store.counts()["responses"] == 1 and store.get_run(session.run_id).status == "done"
