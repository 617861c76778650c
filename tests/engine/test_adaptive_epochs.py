"""Adaptive evaluation (--until-ci) and repeats (--epochs) end to end, against the stub OpenAI server:
an adaptive run stops early and says why, a killed one resumes to the same stop, a finished one run
again asks nothing; repeats get their own keys (epoch 0 keeps the old one) and are reduced per sample."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

import assay
from assay.core.errors import ConfigError
from assay.engine.spec_file import spec_from_mapping
from assay.metrics.reducers import reduce_epochs
from assay.store import Store

ROWS = 300
TASK = """name: {name}
dataset: {{path: rows.jsonl}}
fields: {{id: id, target: target}}
prompt: "{{{{ question }}}}"
output: {{type: generate, extract: regex, regex: "#### \\\\d*(\\\\d)", max_tokens: 16, temperature: {temp}}}
metrics: [exact_match]
"""


@pytest.fixture(scope="module")
def stub():
    from stub_openai import StubServer

    with StubServer(delay_s=0.05) as server:
        yield server


@pytest.fixture
def tasks(tmp_path):
    """A greedy and a sampled task over the same rows; the stub's answers end in a digit, right 1 in 10."""
    rows = [{"id": f"q{i}", "question": f"What is item {i}?", "target": "7"} for i in range(ROWS)]
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "digits.yaml").write_text(TASK.format(name="digits", temp=0.0))
    (tmp_path / "sampled.yaml").write_text(TASK.format(name="sampled", temp=0.8))
    return tmp_path


def evaluate(stub, task, db, **options):
    args = {"base_url": stub.base_url, "max_concurrency": "2"}
    return assay.evaluate("openai:stub", [str(task)], model_args=args, store=db, **options)


def run_order(db, run_id):
    with sqlite3.connect(db) as conn:
        query = "select u.sample_id from run_units r join units u on u.key = r.unit_key where r.run_id = ?"
        return [s for (s,) in conn.execute(query + " order by r.position", (run_id,))]


def test_until_ci_stops_early_records_why_and_a_rerun_asks_nothing(stub, tasks):
    db = tasks / "a.db"
    first = evaluate(stub, tasks / "digits.yaml", db, until_ci=0.3)
    outcome = first.adaptive["tasks"]["digits"]
    interval = outcome["intervals"]["openai:stub"]
    assert outcome["stopped"] == "narrow" and outcome["used"] < ROWS // 2 and outcome["available"] == ROWS
    assert (
        interval["high"] - interval["low"] < 0.3 and interval["low"] <= interval["mean"] <= interval["high"]
    )
    assert (
        first.adaptive["width"] == 0.3 and first.adaptive["seed"] == 0 and "betting" in first.adaptive["rule"]
    )
    assert first.stats.sent == outcome["used"] == interval["n"]
    record = assay.get_run(first.run_id, store=db)
    assert record.spec.until_ci == 0.3 and record.summary.adaptive == first.adaptive
    board = assay.overview(first.run_id, store=db).leaderboard.rows[0]
    assert board.n == outcome["used"] and board.value == pytest.approx(interval["mean"])
    order = run_order(db, first.run_id)
    assert order != sorted(order, key=lambda s: int(s[1:]))  # a seeded random order, not the file's

    again = evaluate(stub, tasks / "digits.yaml", db, until_ci=0.3)
    assert again.stats.sent == 0 and again.adaptive == first.adaptive
    assert run_order(db, again.run_id) == order
    other_seed = evaluate(stub, tasks / "digits.yaml", db, until_ci=0.3, seed=1)
    assert run_order(db, other_seed.run_id)[:10] != order[:10]


def count(db, table):
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute(f"select count(*) from {table}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_killed_adaptive_run_resumes_to_the_same_stop(stub, tasks):
    reference = evaluate(stub, tasks / "digits.yaml", tasks / "ref.db", until_ci=0.25)
    used = reference.adaptive["tasks"]["digits"]["used"]
    db = tasks / "killed.db"
    args = ["run", "-m", "openai:stub", "--base-url", stub.base_url, "--model-arg", "max_concurrency=2"]
    args += ["-t", str(tasks / "digits.yaml"), "--until-ci", "0.25", "--no-progress", "--db", str(db)]
    proc = subprocess.Popen([sys.executable, "-m", "assay", *args], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while count(db, "responses") < 10:
        assert time.monotonic() < deadline and proc.poll() is None, "no answers arrived"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = count(db, "responses")
    assert before < used, "the run should have been killed before it stopped"

    # The same command again (through the API, as the CLI calls it: the same spec, the same keys).
    resumed = evaluate(stub, tasks / "digits.yaml", db, until_ci=0.25)
    assert resumed.stats.cached == before and resumed.stats.sent == used - before
    assert resumed.adaptive == reference.adaptive
    assert run_order(db, resumed.run_id) == run_order(tasks / "ref.db", reference.run_id)
    with Store.open(db) as store:
        assert [r.status for r in store.list_runs()] == ["done", "running"]  # kill -9 left it running


def test_epochs_have_own_keys_epoch_zero_hits_the_cache_and_reduce_per_sample(stub, tasks):
    db, task = tasks / "e.db", tasks / "sampled.yaml"
    single = evaluate(stub, task, db, limit=20)
    assert single.stats.sent == 20
    repeated = evaluate(stub, task, db, limit=20, epochs=3, epochs_reducer="majority")
    assert repeated.stats.planned == 60 and repeated.stats.cached == 20 and repeated.stats.sent == 40

    with Store.open(db) as store:
        rows = store.results(repeated.run_id)
    by_sample = {}
    for row in rows:
        by_sample.setdefault(row.sample_id, []).append((row.scores["exact_match"], row.extracted))
    assert len(by_sample) == 20 and all(len(e) == 3 for e in by_sample.values())
    assert len({row.key for row in rows}) == 60
    assert any(len({a for _, a in e}) > 1 for e in by_sample.values()), "repeats should vary"

    overview = assay.overview(repeated.run_id, store=db)
    row = overview.leaderboard.rows[0]
    expected = [reduce_epochs(e, "majority") for e in by_sample.values()]
    assert row.n == 20 and row.value == pytest.approx(sum(expected) / 20)
    metrics = {m.metric: m.value for m in overview.run_level}
    assert metrics["epochs"] == 3 and "exact_match.within_var" in metrics

    pass2 = evaluate(stub, task, db, limit=20, epochs=3, epochs_reducer="pass@2")
    assert pass2.stats.sent == 0
    value = assay.overview(pass2.run_id, store=db).leaderboard.rows[0].value
    assert value == pytest.approx(sum(reduce_epochs(e, "pass@2") for e in by_sample.values()) / 20)


def test_repeats_of_a_greedy_task_and_bad_settings_are_refused(stub, tasks):
    db = tasks / "r.db"
    with pytest.raises(ConfigError, match="temperature > 0"):
        evaluate(stub, tasks / "digits.yaml", db, limit=2, epochs=2)
    with pytest.raises(ConfigError, match="until_ci"):
        evaluate(stub, tasks / "digits.yaml", db, until_ci=1.5)
    with pytest.raises(ConfigError, match="pass@K"):
        evaluate(stub, tasks / "sampled.yaml", db, epochs=2, epochs_reducer="median")
    assert assay.runs(store=db) == []  # refused before any run was recorded


def test_spec_file_fields():
    raw = {"models": ["m"], "tasks": ["gsm8k"], "until_ci": 0.1, "epochs": 4, "epochs_reducer": "pass@2"}
    spec = spec_from_mapping(raw, "run.yaml")
    assert (spec.until_ci, spec.epochs, spec.epochs_reducer) == (0.1, 4, "pass@2")
    assert spec_from_mapping({"models": ["m"], "tasks": ["gsm8k"]}, "run.yaml").until_ci is None
    with pytest.raises(ConfigError, match=r"run\.yaml: epochs"):
        spec_from_mapping({**raw, "epochs": "four"}, "run.yaml")
    with pytest.raises(ConfigError, match=r"run\.yaml: pass@5 needs at least 5 epochs"):
        spec_from_mapping({**raw, "epochs_reducer": "pass@5"}, "run.yaml")
