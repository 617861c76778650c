"""A failing server: errors are recorded and never scored, the run says so, and a rerun repairs it."""

import subprocess
import sys

import pytest

from assay.api import RunSpec, build_spec
from assay.engine.run import evaluate
from assay.store import Store
from faultproxy import FaultProxy


@pytest.fixture
def proxy(llama_server):
    with FaultProxy(llama_server.removesuffix("/v1")) as proxy:
        yield proxy


def spec_for(proxy: FaultProxy, limit: int = 3) -> RunSpec:
    return build_spec(
        models=("openai:smollm2",),
        tasks=(("arithmetic_mc", {"limit": limit}),),
        model_args={"base_url": f"http://127.0.0.1:{proxy.port}/v1", "max_concurrency": 1},
        max_attempts=2,
        timeout=60,
    )


def test_failed_units_are_errors_not_scores_and_the_rerun_fills_them_in(proxy, tmp_path):
    with Store.open(tmp_path / "e.db") as store:
        # The first unit's two attempts fail; every later request goes through.
        proxy_faults_after_check(proxy, 2, 500)
        first = evaluate(spec_for(proxy), store)
        assert first.status == "done_with_errors"
        assert first.stats.errors == 1 and first.stats.answered == 2
        assert first.scored == 2
        rows = store.results(first.run_id)
        failed = [r for r in rows if r.error is not None]
        assert len(failed) == 1 and failed[0].scores is None and failed[0].response is None
        assert "500" in failed[0].error

        second = evaluate(spec_for(proxy), store)
        assert second.status == "done"
        assert second.stats.cached == 2 and second.stats.sent == 1 and second.stats.errors == 0
        assert all(r.error is None and r.scores is not None for r in store.results(second.run_id))


def proxy_faults_after_check(proxy: FaultProxy, n: int, status: int) -> None:
    """Let the reachability GET through, then fail the next `n` requests."""
    proxy.delay_next(1, 0.0)
    proxy.fail_next(n, status)


def assay_run(port: int, db, *extra: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`assay run` of two arithmetic_mc samples against the OpenAI-compatible server on `port`."""
    cmd = [
        sys.executable,
        "-m",
        "assay",
        "run",
        "-m",
        "openai:smollm2",
        "--base-url",
        f"http://127.0.0.1:{port}/v1",
        "-t",
        "arithmetic_mc",
        "--limit",
        "2",
        "--no-progress",
        "--db",
        str(db),
        *extra,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    return lines[0]


def test_cli_exits_non_zero_when_units_failed(proxy, tmp_path):
    proxy_faults_after_check(proxy, 100, 503)
    proc = assay_run(proxy.port, tmp_path / "c.db", "--max-attempts", "1")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "2" in proc.stdout + proc.stderr  # says how many units failed


def test_a_refused_key_stops_the_run_before_any_unit_with_one_line(proxy, tmp_path, monkeypatch):
    proxy.fail_next(1, 401, body=b'{"error": {"message": "Invalid API key"}}')
    monkeypatch.setenv("ASSAY_TEST_KEY", "sk-wrong")
    line = one_line_error(
        assay_run(proxy.port, tmp_path / "k.db", "--api-key-env", "ASSAY_TEST_KEY", timeout=120)
    )
    assert "ASSAY_TEST_KEY" in line and "sk-wrong" not in line
    assert proxy.received == 1  # nothing was sent after the refused check


def test_unreachable_server_is_one_line(tmp_path):
    from servers import free_port

    line = one_line_error(assay_run(free_port(), tmp_path / "u.db", timeout=120))
    assert "cannot reach" in line


def test_a_scorer_that_raises_keeps_the_scores_already_made(tmp_path):
    """One unit's scorer raising (e.g. the sandbox could not start) stops scoring with that error, but
    the scores finished before it are stored, so a re-run scores only what is left."""
    from assay.core.types import Score
    from assay.engine.scoring import score_run
    from assay.store import Store, UnitRecord

    class Flaky:
        name = "t"

        def score(self, sample, response):
            if sample.id == "bad":
                raise RuntimeError("sandbox down")
            return Score(values={"acc": 1.0})

    with Store.open(tmp_path / "s.db") as store:
        run_id = store.create_run(RunSpec(models=(), tasks=()))
        ids = ["a", "b", "bad", "c"]
        store.add_units(run_id, [
            UnitRecord(key=i, model="m", model_identity={}, task="t", task_version="1", sample_id=i,
                       request={"prompt": i}, sample={"id": i, "input": i}) for i in ids
        ])  # fmt: skip
        for i in ids:
            store.put_response(i, {"kind": "generate", "text": i}, latency_s=0.0, attempts=1)
        with pytest.raises(RuntimeError, match="sandbox down"):
            score_run(store, run_id, {"t": Flaky()})
        scored = {r.sample_id for r in store.results(run_id) if r.scores is not None}
        assert {"a", "b"} <= scored and "bad" not in scored
