"""Cluster execution on a real two-node Ray cluster on loopback with a real PostgreSQL store: the same
answers as a local run, a node killed mid-run, a driver killed mid-run, and bad input refused early.

The cluster starts once for the module (about 20 s); the tests run against the stub OpenAI server (a
fixed delay per answer, deterministic text) and the built-in llama.cpp models.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from assay.store import Store, WorkQueue
from plugin_kit import install_plugin
from ray_cluster import CLUSTER_ENV, RayCluster
from stub_openai import StubServer, free_port
from terminal import default_sigint

pytest.importorskip("ray")
# One worker runs the module (loadscope): it starts the machine's one Ray cluster and `ray stop`s it.
pytestmark = [
    pytest.mark.cluster,
    pytest.mark.postgres,
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def cluster():
    saved = {k: os.environ.get(k) for k in CLUSTER_ENV}
    os.environ.update(CLUSTER_ENV)  # drivers started by the tests join with the cluster's token
    ray = RayCluster(free_port()).start()
    yield ray
    ray.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def stub():
    with StubServer(delay_s=0.4) as server:
        yield server


def assay(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assay", *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def stub_run(stub: StubServer, db: str, *extra: str, limit: int = 40) -> list[str]:
    """`assay run` of GSM8K questions against the stub (4 requests in flight for the whole cluster)."""
    return [
        "run", "-m", "openai:stub", "--base-url", stub.base_url, "--model-arg", "max_concurrency=4",
        "--model-arg", "replicas=2", "-t", "gsm8k", "--limit", str(limit), "--db", db, "--json",
        "--no-progress", *extra,
    ]  # fmt: skip


def scored(db: str, run_id: str) -> dict[str, tuple[dict, dict[str, float]]]:
    with Store.open(db) as store:
        return {r.key: (r.response, r.scores) for r in store.results(run_id) if r.scores is not None}


def test_local_and_ray_give_the_same_keys_responses_and_scores(cluster, pg_url, tmp_path):
    """The quick suite with the built-in model(s) on the two-node cluster equals a local run."""
    local_db = str(tmp_path / "local.db")
    # One sequence per decode on both sides: batched greedy decoding can differ in a rare token with
    # the other sequences of its decode step (llama.cpp's kernels for other batch shapes), and which
    # requests share a step depends on timing. This compares executors, not batch shapes.
    args = ["run", "-t", "quick", "--limit", "3", "--json", "--no-progress", "--model-arg", "n_seq=1"]
    local = assay(*args, "--db", local_db)
    assert local.returncode == 0, local.stderr
    spread = assay(*args, "--db", pg_url, "--executor", "ray", "--ray-address", cluster.address)
    assert spread.returncode == 0, spread.stderr
    a, b = json.loads(local.stdout), json.loads(spread.stdout)
    assert b["stats"]["planned"] == a["stats"]["planned"] and b["stats"]["errors"] == 0
    assert scored(pg_url, b["run_id"]) == scored(local_db, a["run_id"])  # same keys, texts and scores
    with Store.open(pg_url) as store:
        summary = store.get_run(b["run_id"]).summary
    assert summary.executor == "ray" and summary.workers >= 1


def test_a_node_killed_mid_run_loses_nothing(cluster, stub, pg_url, tmp_path):
    """SIGKILL the second node while its worker holds leases: the head's worker takes the units when the
    leases expire; every unit is answered and scored once, with the scores of a local run."""
    driver = subprocess.Popen(
        [sys.executable, "-m", "assay", *stub_run(stub, pg_url, "--executor", "ray", "--ray-address",
                                                   cluster.address, "--executor-arg", "lease_s=3")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _wait_for_two_workers(pg_url)
        cluster.kill_node()
        out, err = driver.communicate(timeout=600)
    finally:
        if driver.poll() is None:
            driver.kill()
        cluster.start_node()  # the next test wants two nodes again
    assert driver.returncode == 0, err
    result = json.loads(out)
    assert result["stats"]["planned"] == 40 and result["stats"]["errors"] == 0
    spread = scored(pg_url, result["run_id"])
    assert len(spread) == 40
    local_db = str(tmp_path / "local.db")
    local = assay(*stub_run(stub, local_db))
    assert local.returncode == 0, local.stderr
    assert spread == scored(local_db, json.loads(local.stdout)["run_id"])
    with Store.open(pg_url) as store:
        assert store.counts()["responses"] == 40 and store.counts()["scores"] == 40


def _wait_for_two_workers(db: str, timeout_s: float = 300) -> None:
    """Until workers on both nodes hold leases and some answers are stored (polled, never assumed)."""
    deadline = time.monotonic() + timeout_s
    with Store.open(db) as store:
        queue = WorkQueue(store)
        while time.monotonic() < deadline:
            runs = store.list_runs(1)
            if runs and len(queue.workers(runs[0].id)) >= 2 and store.counts()["responses"] >= 4:
                return
            time.sleep(0.2)
    raise AssertionError("the run never had two workers holding units")


def test_a_killed_driver_resumes_where_it_stopped(cluster, stub, pg_url):
    args = stub_run(stub, pg_url, "--executor", "ray", "--ray-address", cluster.address)
    driver = subprocess.Popen([sys.executable, "-m", "assay", *args], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        with Store.open(pg_url) as store:
            while store.counts()["responses"] < 10:
                assert time.monotonic() < deadline, "no answers arrived"
                time.sleep(0.2)
        os.killpg(driver.pid, signal.SIGKILL)
    finally:
        driver.wait(timeout=60)
    with Store.open(pg_url) as store:
        before = store.counts()["responses"]
    again = assay(*args)
    assert again.returncode == 0, again.stderr
    stats = json.loads(again.stdout)["stats"]
    # Only what was not answered before is asked again (answers that landed after the count are cached).
    assert stats["cached"] >= before and stats["cached"] + stats["answered"] == 40
    assert stats["sent"] <= 40 - before
    assert len(scored(pg_url, json.loads(again.stdout)["run_id"])) == 40


def test_bad_cluster_input_is_one_line_before_any_unit(cluster, stub, pg_url, tmp_path):
    sqlite = assay(
        *stub_run(stub, str(tmp_path / "s.db"), "--executor", "ray", "--ray-address", cluster.address)
    )
    assert sqlite.returncode == 2 and "cannot share the SQLite store" in sqlite.stderr
    assert "Traceback" not in sqlite.stderr
    gpus = assay(*stub_run(stub, pg_url, "--executor", "ray", "--ray-address", cluster.address,
                           "--model-arg", "num_gpus=1"))  # fmt: skip
    assert gpus.returncode == 2 and "no node of the Ray cluster can place a worker" in gpus.stderr
    with Store.open(pg_url) as store:
        assert store.counts()["responses"] == 0  # refused before any unit was sent


def test_a_worker_without_the_users_plugin_is_one_line(cluster, pg_url, tmp_path):
    """The driver has the plugin on its path, the cluster's nodes do not: the worker cannot build the
    model, and the error says so instead of hanging."""
    site = tmp_path / "site"
    site.mkdir()
    install_plugin(site, "echo_plugin")
    args = ["run", "-m", "echo:42", "-t", "forty_two", "--db", pg_url, "--executor", "ray"]
    proc = assay(*args, "--ray-address", cluster.address, "--no-progress", env={"PYTHONPATH": str(site)})
    assert proc.returncode == 2, proc.stderr
    assert "could not start" in proc.stderr and "echo" in proc.stderr and "Traceback" not in proc.stderr


def test_unreachable_address_and_missing_ray_are_one_line(tmp_path):
    proc = assay("run", "-t", "arithmetic_mc", "--limit", "1", "--executor", "ray", "--ray-address",
                 f"127.0.0.1:{free_port()}", "--db", str(tmp_path / "u.db"), "--no-progress")  # fmt: skip
    assert proc.returncode == 2 and "cannot reach the Ray cluster" in proc.stderr
    fake = tmp_path / "no_ray"
    fake.mkdir()
    (fake / "ray.py").write_text("raise ImportError('No module named ray')\n")
    proc = assay("run", "-t", "arithmetic_mc", "--limit", "1", "--executor", "ray", "--db",
                 str(tmp_path / "n.db"), "--no-progress", env={"PYTHONPATH": str(fake)})  # fmt: skip
    assert proc.returncode == 2 and "pip install 'assay[ray]'" in proc.stderr


def test_code_is_scored_on_the_cluster_with_the_local_scores(cluster, pg_url, tmp_path):
    """HumanEval answers run in the sandbox of the cluster's nodes, not the driver's; same scores."""
    args = ["run", "-m", "smollm2-135m", "-t", "humaneval", "--limit", "2", "--json", "--no-progress"]
    local_db = str(tmp_path / "local.db")
    local = assay(*args, "--db", local_db)
    assert local.returncode == 0, local.stderr
    spread = assay(*args, "--db", pg_url, "--executor", "ray", "--ray-address", cluster.address)
    assert spread.returncode == 0, spread.stderr
    run_id = json.loads(spread.stdout)["run_id"]
    assert scored(pg_url, run_id) == scored(local_db, json.loads(local.stdout)["run_id"])
    with Store.open(pg_url) as store:
        assert store.get_run(run_id).summary.scored_remotely == 2


def test_ctrl_c_stops_the_workers_hands_back_their_units_and_the_next_run_resumes(cluster, stub, pg_url):
    args = stub_run(stub, pg_url, "--executor", "ray", "--ray-address", cluster.address)
    driver = subprocess.Popen([sys.executable, "-m", "assay", *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)  # fmt: skip
    try:
        _wait_for_answers(pg_url, 6)
        driver.send_signal(signal.SIGINT)
        _, err = driver.communicate(timeout=120)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode == 130 and "run the same command again to resume" in err
    with Store.open(pg_url) as store:
        run = store.list_runs(1)[0]
        assert run.status == "interrupted"
        assert WorkQueue(store).state(run.id).leased == 0  # handed back at once, not left to expire
        before = store.counts()["responses"]
    again = assay(*args)
    assert again.returncode == 0, again.stderr
    stats = json.loads(again.stdout)["stats"]
    # Answers stored before the count are not asked again (one landing as the actors die is cached too).
    assert stats["cached"] >= before and stats["cached"] + stats["answered"] == 40


def _wait_for_answers(db: str, count: int, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    with Store.open(db) as store:
        while store.counts()["responses"] < count:
            assert time.monotonic() < deadline, "no answers arrived"
            time.sleep(0.2)
