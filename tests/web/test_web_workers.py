"""The web app under several uvicorn workers: a vote budget of N per session admits N votes in all, not
N per worker. Real parts: `uvicorn --factory assay.web.app:app_from_env --workers 4` as a subprocess on
a loopback port, over a SQLite file and over PostgreSQL; battles opened in the store, votes through
HTTP from many threads, each on a new connection. uvicorn's access log, written with each worker's
pid, shows which worker answered what: a worker that refused votes while it had admitted fewer than N
itself can only have counted the other workers' votes."""

import collections
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from assay.store import Store
from assay.store.arena_live import open_battle, put_answer, vote_count
from assay.web.security import CSRF_HEADER, SESSION_COOKIE, csrf_token, new_session_cookie, session_id_of
from servers import free_port

SECRET = "shared-by-every-worker-" * 2
BUDGET = 5  # votes per session per hour: the window cannot roll over during the test
WORKERS = 4
BATTLES = 60
REFUSED = {"detail": "too many requests; wait a minute"}
ACCESS = re.compile(r'^(\d+) \S+ - "POST /api/arena/battles/[^/]+/vote HTTP/[\d.]+" (\d+)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    return str(tmp_path / "arena.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")


def _log_config(logs: Path) -> Path:
    """uvicorn's loggers with each record's pid: startup lines to server.log, requests to access.log."""

    def to(name: str) -> dict:
        return {"class": "logging.FileHandler", "filename": str(logs / name), "formatter": "pid"}

    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"pid": {"format": "%(process)d %(message)s"}},
        "handlers": {"server": to("server.log"), "access": to("access.log")},
        "loggers": {
            "uvicorn": {"handlers": ["server"], "level": "INFO"},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }
    path = logs / "log.json"
    path.write_text(json.dumps(config))
    return path


def _started_workers(log: Path) -> set[str]:
    text = log.read_text(errors="replace") if log.exists() else ""
    return {line.split()[0] for line in text.splitlines() if "Application startup complete" in line}


@contextlib.contextmanager
def uvicorn_workers(env: dict[str, str], logs: Path) -> Iterator[str]:
    """The base URL of `uvicorn --factory assay.web.app:app_from_env --workers 4` once every worker has
    started; the server is stopped on exit."""
    for _ in range(3):  # the free port can be taken between probing and binding
        port = free_port()
        for name in ("server.log", "access.log"):
            (logs / name).unlink(missing_ok=True)
        cmd = [
            *(sys.executable, "-m", "uvicorn", "--factory", "assay.web.app:app_from_env"),
            *("--workers", str(WORKERS), "--host", "127.0.0.1", "--port", str(port)),
            *("--log-config", str(_log_config(logs))),
        ]
        with open(logs / "stderr.log", "wb") as stderr:
            proc = subprocess.Popen(
                cmd, env=env, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True
            )
        try:
            if _wait_for_workers(proc, logs):
                yield f"http://127.0.0.1:{port}"
                return
        finally:
            _stop(proc)
    raise AssertionError(f"uvicorn did not start:\n{(logs / 'stderr.log').read_text()[-3000:]}")


def _wait_for_workers(proc: subprocess.Popen, logs: Path) -> bool:
    deadline = time.monotonic() + 180  # four workers importing the app on a busy machine
    while len(_started_workers(logs / "server.log")) < WORKERS:
        if proc.poll() is not None:
            return False
        if time.monotonic() > deadline:
            raise AssertionError(f"not every worker started:\n{(logs / 'stderr.log').read_text()[-3000:]}")
        time.sleep(0.2)
    return True


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # uvicorn's supervisor stops its workers and exits
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group of the server this test started
            proc.wait()


def _vote(base: str, battle_id: str, cookie: str, token: str) -> tuple[int, dict]:
    # a client of its own per request: a new connection, which any worker may accept
    response = httpx.post(
        f"{base}/api/arena/battles/{battle_id}/vote",
        json={"vote": "a"},
        headers={CSRF_HEADER: token, "Cookie": f"{SESSION_COOKIE}={cookie}", "Connection": "close"},
        timeout=120,
    )
    return response.status_code, response.json()


def _answers_by_worker(access_log: Path) -> dict[str, collections.Counter[int]]:
    by_pid: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    for line in access_log.read_text().splitlines():
        found = ACCESS.match(line)
        if found:
            by_pid[found.group(1)][int(found.group(2))] += 1
    return by_pid


def test_a_vote_budget_holds_across_four_workers(store_url, tmp_path):
    cookie = new_session_cookie(SECRET.encode())
    session = session_id_of(SECRET.encode(), cookie)
    token = csrf_token(SECRET.encode(), session)
    with Store.open(store_url) as store:  # migrated here, before the workers open it
        for i in range(BATTLES):
            open_battle(store, f"w-{i}", session, ("m1", "m2"), "Which is bigger, 3 or 5?")
            put_answer(store, f"w-{i}", "a", "5")
            put_answer(store, f"w-{i}", "b", "3")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ASSAY_")},
        "ASSAY_DB": store_url,
        "ASSAY_WEB_SECRET": SECRET,
        "ASSAY_ARENA_MODELS": "m1,m2",
        "ASSAY_ARENA_VOTE_LIMIT": f"{BUDGET}/hour",
        "ASSAY_ARENA_VOTE_LIMIT_IP": "1000/hour",
    }
    answers: list[tuple[int, dict]] = []
    with uvicorn_workers(env, tmp_path) as base, ThreadPoolExecutor(max_workers=12) as pool:
        battle_ids = iter(f"w-{i}" for i in range(BATTLES))
        first_round = [next(battle_ids) for _ in range(24)]  # 4 workers x 5 each would admit 20 of these
        answers += pool.map(lambda b: _vote(base, b, cookie, token), first_round)
        # More rounds (all refused: the budget is spent) until at least two workers have answered.
        for battle_id in battle_ids:
            if len(_answers_by_worker(tmp_path / "access.log")) >= 2:
                break
            answers += pool.map(lambda b: _vote(base, b, cookie, token), [battle_id] * 4)
    admitted = [body for status, body in answers if status == 200]
    assert len(admitted) == BUDGET and all(body["accepted"] for body in admitted)
    assert [body for status, body in answers if status != 200] == [REFUSED] * (len(answers) - BUDGET)
    with Store.open(store_url) as store:
        assert vote_count(store) == BUDGET
    by_worker = _answers_by_worker(tmp_path / "access.log")
    assert sum(sum(codes.values()) for codes in by_worker.values()) == len(answers)
    assert len(by_worker) >= 2, f"every vote went to one worker: {dict(by_worker)}"
    # a worker that refused while it had admitted fewer than the budget itself counted others' votes
    assert any(codes[429] and codes[200] < BUDGET for codes in by_worker.values()), dict(by_worker)
