"""Web dashboard benchmarks.

1. Leaderboard page for M models x T tasks from the store: server time per request (p50/p95), for the
   first (cold) build and for repeated requests (cached until the store changes).
2. Vote ingestion: the app under uvicorn in its own process; C concurrent clients in this process
   vote on battles of their own sessions over loopback, every battle twice at once. Votes/s sustained,
   and the store must hold exactly one battle row per accepted vote (none lost, none doubled).

    python bench/web_leaderboard.py [--models 500] [--tasks 60] [--samples 3] [--clients 50] [--votes 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from assay.store import Store
from assay.store.arena_live import LIVE_SOURCE, open_battle, put_answer, vote_count
from assay.store.battles import battle_sources
from assay.store.synthetic import seed_run
from assay.web.app import create_app
from assay.web.security import session_id_of

SECRET = "bench-secret-" * 4  # shared with the server, so the bench can name a visitor's session


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def leaderboard(db: Path, models: int, tasks: int, samples: int, requests: int) -> None:
    with Store.open(db) as store:
        t0 = time.perf_counter()
        seed_run(
            store,
            [f"model-{i:03d}" for i in range(models)],
            [f"group{t % 6}_task{t:02d}" for t in range(tasks)],
            samples=samples,
        )
        print(
            f"seeded {models} models x {tasks} tasks x {samples} samples in {time.perf_counter() - t0:.1f}s"
        )
        with TestClient(create_app(store)) as client:
            t0 = time.perf_counter()
            r = client.get("/")
            cold = time.perf_counter() - t0
            assert r.status_code == 200 and r.text.count('<td class="model">') == models
            times = []
            for _ in range(requests):
                t0 = time.perf_counter()
                assert client.get("/").status_code == 200
                times.append(time.perf_counter() - t0)
            api = []
            for _ in range(requests // 2):
                t0 = time.perf_counter()
                assert client.get("/api/leaderboard").status_code == 200
                api.append(time.perf_counter() - t0)
        print(
            f"leaderboard page ({len(r.content) / 1e6:.1f} MB HTML): cold build {cold * 1000:.0f} ms; "
            f"cached p50 {statistics.median(times) * 1000:.1f} ms, p95 {pct(times, 0.95) * 1000:.1f} ms "
            f"over {requests} requests"
        )
        print(
            f"/api/leaderboard: p50 {statistics.median(api) * 1000:.1f} ms, "
            f"p95 {pct(api, 0.95) * 1000:.1f} ms"
        )


async def vote_load(db: Path, clients: int, votes: int) -> None:
    port = 8765 + os.getpid() % 1000
    env = {
        **os.environ,
        "ASSAY_DB": str(db),
        "ASSAY_ARENA_MODELS": "m1,m2",
        "ASSAY_ARENA_VOTE_LIMIT": "100000/minute",
        "ASSAY_ARENA_VOTE_LIMIT_IP": "100000/minute",
        "ASSAY_WEB_SECRET": SECRET,
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "assay.web.app:app_from_env",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as probe:
            for _ in range(200):
                try:
                    await probe.get(url + "/api/session")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        store = Store.open(db)
        per_client = votes // clients
        sessions = []
        for c in range(clients):  # each client: its own session, battles finished and waiting for a vote
            http = httpx.AsyncClient(base_url=url, timeout=30)
            token = (await http.get("/api/session")).json()["csrf_token"]
            # the app keys battles by the id it derives from the signed cookie, not the cookie itself
            session = session_id_of(SECRET.encode(), http.cookies.get("assay_session") or "")
            assert session is not None
            ids = [f"bench-{c}-{i}" for i in range(per_client)]
            for battle_id in ids:
                open_battle(store, battle_id, session, ("m1", "m2") if c % 2 else ("m2", "m1"), "bench")
                put_answer(store, battle_id, "a", "x")
                put_answer(store, battle_id, "b", "y")
            sessions.append((http, token, ids))

        accepted = 0

        async def run(http: httpx.AsyncClient, token: str, ids: list[str]) -> None:
            nonlocal accepted
            for battle_id in ids:
                body = {"vote": "a"}
                pair = await asyncio.gather(
                    *[
                        http.post(
                            f"/api/arena/battles/{battle_id}/vote", json=body, headers={"X-CSRF-Token": token}
                        )
                        for _ in range(2)
                    ]
                )
                accepted += sum(1 for r in pair if r.status_code == 200 and r.json()["accepted"])

        t0 = time.perf_counter()
        await asyncio.gather(*[run(*s) for s in sessions])
        elapsed = time.perf_counter() - t0
        for http, _, _ in sessions:
            await http.aclose()
        stored, rows = vote_count(store), battle_sources(store).get(LIVE_SOURCE, 0)
        store.close()
        total = clients * per_client
        print(
            f"votes: {clients} clients, {total} battles voted twice at once ({2 * total} requests) in "
            f"{elapsed:.1f}s = {2 * total / elapsed:.0f} requests/s, "
            f"{accepted / elapsed:.0f} accepted votes/s; "
            f"accepted {accepted}, stored votes {stored}, battle rows {rows}"
        )
        assert accepted == stored == rows == total, "lost or doubled votes"
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--tasks", type=int, default=60)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--votes", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        leaderboard(Path(tmp) / "board.db", args.models, args.tasks, args.samples, args.requests)
        asyncio.run(vote_load(Path(tmp) / "votes.db", args.clients, args.votes))


if __name__ == "__main__":
    main()
