"""The spine end to end on the built-in model: plan -> execute -> score -> store, cache, resume."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from assay.api import build_spec
from assay.engine.run import evaluate
from assay.store import Store
from terminal import default_sigint


def cli(*args, db, check=True, timeout=300):
    proc = subprocess.run(
        [sys.executable, "-m", "assay.cli.main", *args, "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def count(db, table):
    """Rows in `table`; 0 while the file exists but the run has not created its tables yet."""
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute(f"select count(*) from {table}").fetchone()[0]
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return 0
        raise


def test_evaluate_stores_scores_and_rerun_is_served_from_cache(tmp_path):
    spec = build_spec(
        models=("smollm2-135m",), tasks=(("gsm8k", {"limit": 2}), ("arithmetic_mc", {"limit": 6}))
    )
    with Store.open(tmp_path / "a.db") as store:
        first = evaluate(spec, store)
        assert first.status == "done"
        assert first.stats.planned == 8 and first.stats.sent == 8 and first.stats.cached == 0
        assert first.scored == 8
        rows = store.results(first.run_id)
        assert {r.task for r in rows} == {"gsm8k", "arithmetic_mc"}
        assert all(r.response is not None and r.scores is not None for r in rows)
        assert first.prompt_modes == {"gsm8k": "chat", "arithmetic_mc": "completion"}

        second = evaluate(spec, store)
        assert second.stats.sent == 0 and second.stats.cached == 8
        assert [r.scores for r in store.results(second.run_id)] == [r.scores for r in rows]
        assert store.counts()["responses"] == 8


def test_keys_change_with_model_seed_and_prompt_mode(tmp_path):
    base = build_spec(models=("smollm2-135m",), tasks=(("gsm8k", {"limit": 1}),))
    with Store.open(tmp_path / "k.db") as store:
        evaluate(base, store)
        other_mode = evaluate(
            build_spec(models=base.models, tasks=base.tasks, prompt_mode="completion"), store
        )
        other_seed = evaluate(build_spec(models=base.models, tasks=base.tasks, seed=5), store)
        assert other_mode.stats.sent == 1 and other_seed.stats.sent == 1
        assert store.counts()["units"] == 3


@pytest.mark.slow
def test_kill_9_mid_run_then_same_command_finishes_each_sample_once(tmp_path):
    db = tmp_path / "resume.db"
    args = [
        "run",
        "-m",
        "smollm2-135m",
        "-t",
        "gsm8k",
        "--limit",
        "12",
        "--prompt-mode",
        "completion",
        "--no-progress",
        "--db",
        str(db),
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "assay.cli.main", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.time() + 240
    while time.time() < deadline:
        if db.exists() and count(db, "responses") >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    answered_before = count(db, "responses")
    assert 3 <= answered_before < 12, "the run should have been killed half-way"

    again = cli(*args[:-2], "--json", db=db)
    result = json.loads(again.stdout)
    assert result["stats"]["cached"] == answered_before
    assert result["stats"]["sent"] == 12 - answered_before
    with sqlite3.connect(db) as conn:
        keys = [
            k for (k,) in conn.execute("select unit_key from run_units where run_id = ?", (result["run_id"],))
        ]
        scored = conn.execute("select unit_key, count(*) from scores group by unit_key").fetchall()
    assert len(keys) == 12
    assert sorted(k for k, _ in scored) == sorted(keys)
    assert all(n == 1 for _, n in scored)


@pytest.mark.slow
def test_two_runs_write_one_sqlite_file_at_once(tmp_path):
    db = tmp_path / "shared.db"
    cmds = [
        [
            sys.executable,
            "-m",
            "assay.cli.main",
            "run",
            "-m",
            "smollm2-135m",
            "-t",
            "arithmetic_mc",
            "--task-arg",
            f"arithmetic_mc.seed={seed}",
            "--limit",
            "40",
            "--no-progress",
            "--db",
            str(db),
        ]
        for seed in (1, 2)
    ]
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in cmds]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert "locked" not in err
    assert count(db, "responses") == 80
    assert count(db, "scores") == 80


def test_ctrl_c_says_nothing_is_lost_marks_the_run_interrupted_and_the_rerun_resumes(tmp_path):
    from stub_openai import StubServer

    db = tmp_path / "int.db"
    with StubServer(delay_s=0.3) as stub:
        args = ["run", "-m", "openai:stub", "--base-url", stub.base_url, "-t", "gsm8k", "--limit", "200"]
        args += ["--model-arg", "max_concurrency=2", "--no-progress", "--db", str(db)]
        command = [sys.executable, "-m", "assay", *args]
        proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
        deadline = time.monotonic() + 120
        while count(db, "responses") < 6:
            assert time.monotonic() < deadline, "no answers arrived"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130 and "run the same command again to resume" in err
        assert "Traceback" not in err
        with Store.open(db) as store:
            assert store.list_runs(1)[0].status == "interrupted"
            before = store.counts()["responses"]
        again = subprocess.run(
            [sys.executable, "-m", "assay", *args, "--json"], capture_output=True, text=True
        )
        assert again.returncode == 0, again.stderr
        stats = json.loads(again.stdout)["stats"]
        assert stats["cached"] == before and stats["answered"] == 200 - before
