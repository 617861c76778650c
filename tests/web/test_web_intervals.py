"""The dashboard leaderboard shows each value's 95% interval with its method, and rank intervals."""

from fastapi.testclient import TestClient

from assay.arena import ArenaConfig
from assay.store.synthetic import seed_run
from assay.web.app import create_app


def test_leaderboard_shows_intervals_methods_and_rank_intervals(any_store):
    seed_run(any_store, ["alpha", "beta", "gamma"], ["t1", "t2"], samples=12, seed=4)
    with TestClient(create_app(any_store, ArenaConfig(models=("m1", "m2")))) as client:
        api = client.get("/api/leaderboard").json()
        page = client.get("/").text
    cell = api["rows"][0]["scores"]["t1"]
    assert cell["method"] == "wilson-cc" and cell["lower"] <= cell["value"] <= cell["upper"]
    ranks = [row["rank"] for row in api["rows"]]
    assert all(r["low"] <= r["rank"] <= r["high"] and r["group"] >= 1 for r in ranks)
    assert ranks[0]["group"] == 1
    assert "Tie group" in page and "95% interval: wilson-cc" in page
