"""Dashboard pages and the JSON API over a real store (FastAPI's TestClient, no browser)."""

import time
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from assay.arena import ArenaConfig
from assay.store.arena_live import open_battle, put_answer, record_vote
from assay.store.synthetic import seed_run
from assay.web.app import create_app
from assay.web.render import render_markdown


@pytest.fixture
def store(any_store):
    return any_store


@pytest.fixture
def client(store):
    app = create_app(store, ArenaConfig(models=("m1", "m2")))
    with TestClient(app) as c:
        yield c


def test_leaderboard_page_and_api_agree(store, client):
    seed_run(store, ["alpha", "beta", "gamma"], ["mmlu_law", "mmlu_art", "gsm8k"], samples=6, seed=3)
    api = client.get("/api/leaderboard").json()
    assert api["tasks"] == ["gsm8k", "mmlu_art", "mmlu_law"]
    assert api["groups"] == ["gsm8k", "mmlu"]
    rates = [r["mean_win_rate"] for r in api["rows"]]
    assert rates == sorted(rates, reverse=True)  # best first
    cell = api["rows"][0]["scores"]["gsm8k"]
    assert cell["n"] == 6 and cell["lower"] <= cell["value"] <= cell["upper"]
    page = client.get("/").text
    for model in ("alpha", "beta", "gamma"):
        assert f'<td class="model">{model}</td>' in page
    assert 'id="chart-winrate"' in page
    only = client.get("/api/leaderboard", params={"group": "mmlu"}).json()
    assert only["tasks"] == ["mmlu_art", "mmlu_law"]
    assert "gsm8k</th>" not in client.get("/", params={"group": "mmlu"}).text


def test_leaderboard_cache_follows_new_runs(store, client):
    seed_run(store, ["alpha", "beta"], ["t1"], samples=2)
    assert len(client.get("/api/leaderboard").json()["rows"]) == 2
    seed_run(store, ["gamma"], ["t1"], samples=2, seed=1)
    assert len(client.get("/api/leaderboard").json()["rows"]) == 3


def test_run_explorer_filters_and_compares(store, client):
    run_id = seed_run(store, ["alpha", "beta"], ["gsm8k"], samples=8, seed=5)
    everything = client.get(f"/api/runs/{run_id}/samples").json()
    wrong = client.get(f"/api/runs/{run_id}/samples", params={"wrong": True}).json()
    assert everything["total"] == 16
    assert wrong["total"] == sum(1 for s in everything["samples"] if s["score"] < 1)
    assert all(s["score"] < 1 for s in wrong["samples"])
    sample = everything["samples"][0]
    assert {"prompt", "response", "extracted", "score", "latency_s"} <= sample.keys()
    pairs = client.get(f"/api/runs/{run_id}/compare", params={"a": "alpha", "b": "beta"}).json()["pairs"]
    assert len(pairs) == 8 and all(p["a"]["sample_id"] == p["b"]["sample_id"] for p in pairs)
    page = client.get(f"/runs/{run_id}", params={"wrong": True}).text
    assert page.count('<article class="sample') == wrong["total"]
    assert client.get(f"/runs/{run_id}/compare", params={"a": "alpha", "b": "beta"}).status_code == 200
    assert client.get("/runs/no-such-run").status_code == 404
    assert client.get("/api/runs/no-such-run/samples").json()["detail"]


def test_arena_ratings_reflect_live_votes(store, client):
    assert client.get("/api/arena/ratings").json()["ratings"] == []
    for i, vote in enumerate(["a", "a", "b", "tie", "a", "b"]):
        open_battle(store, f"battle-{i}", "s" * 24, ("m1", "m2") if i % 2 else ("m2", "m1"), "hi")
        put_answer(store, f"battle-{i}", "a", "x")
        put_answer(store, f"battle-{i}", "b", "y")
        assert record_vote(store, f"battle-{i}", "s" * 24, vote)
    # A build that took long (a cold process importing the rating code) is refreshed in the
    # background while the previous value is served: wait for the new one, within reason.
    deadline = time.monotonic() + 20
    while (data := client.get("/api/arena/ratings").json())["battles"] != 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert data["battles"] == 6
    assert {r["model"] for r in data["ratings"]} == {"m1", "m2"}
    assert all(r["lower"] <= r["rating"] <= r["upper"] for r in data["ratings"])
    assert {(c["row"], c["column"]) for c in data["heatmap"]} == {("m1", "m2"), ("m2", "m1")}
    page = client.get("/arena/leaderboard").text
    assert 'id="chart-heatmap"' in page and 'class="num battles"' in page


def test_language_switch(client):
    assert "Leaderboard" in client.get("/").text
    r = client.get("/lang/zh-Hans", params={"next": "/runs"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/runs"
    assert "排行榜" in client.get("/").text and 'lang="zh-Hans"' in client.get("/").text
    # an open redirect is refused
    assert (
        client.get("/lang/en", params={"next": "//evil.example/"}, follow_redirects=False).headers["location"]
        == "/"
    )
    assert "Leaderboard" in client.get("/").text


def test_openapi_documents_every_api_route(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/leaderboard",
        "/api/arena/ratings",
        "/api/runs",
        "/api/runs/{run_id}/samples",
        "/api/arena/battles",
        "/api/arena/battles/{battle_id}/vote",
    ):
        assert path in paths
    assert "/api/leaderboard" in client.get("/api").text


def test_audit_pages_are_always_in_the_nav(client):
    page = client.get("/").text
    for name in ("transparency", "trends", "safety"):
        assert f'id="nav-{name}"' in page
        assert client.get(f"/{name}").status_code == 200


def test_transparency_page_and_api(client):
    from assay.transparency import load_edition
    from assay.transparency.analysis import totals

    expected = totals(load_edition("2024"))
    api = client.get("/api/transparency/2024").json()
    assert [(d["developer"], d["total"]) for d in api["developers"]] == expected
    assert set(api["developers"][0]["domains"]) == {"Upstream", "Model", "Downstream"}
    page = client.get("/transparency", params={"edition": "2024"}).text
    leader, points = expected[0]
    assert f'<td data-value="{leader}">{leader}</td>' in page and f'<td data-value="{points}">' in page
    assert "change from 2023" in page  # same indicator set: the change chart is offered
    assert page.count('class="vl-chart"') == 4
    assert "change from" not in client.get("/transparency").text  # 2025 set differs from 2024's
    assert client.get("/transparency", params={"edition": "1999"}).status_code == 404
    assert client.get("/api/transparency/1999").status_code == 404


def test_trends_page_and_api(client):
    from assay.trends import load_default, sota

    expected = sota.sota_by_year(load_default().results, "GSM8K")
    api = client.get("/api/trends/GSM8K").json()
    assert [(r["year"], r["best"]) for r in api["sota_by_year"]] == [(y.year, y.score) for y in expected]
    bests = [r["best"] for r in api["sota_by_year"]]
    assert bests == sorted(bests)  # the state of the art never goes down
    page = client.get("/trends", params={"benchmark": "GSM8K"}).text
    assert f'<td data-value="{expected[-1].model}">' in page and page.count('class="vl-chart"') >= 2
    assert client.get("/trends", params={"benchmark": "no such benchmark"}).status_code == 404


def test_safety_page_without_results_says_what_to_run(client):
    assert client.get("/api/safety").json()["models"] == []
    page = client.get("/safety").text
    assert "assay safety refusals" in page and 'class="vl-chart"' not in page
    assert 'id="nav-safety"' in page


XSS = [
    "<script>window.__pwned=1</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="https://x" onclick="alert(1)">x</a>',
    "![img](javascript:alert(1))",
    "<svg onload=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    '"><script>alert(1)</script>',
    "[ok](https://example.com)",
]


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("payload", XSS)
def test_markdown_output_has_no_active_content(payload):
    parser = _Tags()
    parser.feed(str(render_markdown(payload)))
    for tag, attrs in parser.tags:
        assert tag in {"p", "a", "em", "strong", "code", "pre"}, tag
        assert not [a for a in attrs if a.startswith("on") or a in ("src", "style")]
        if tag == "a":
            assert attrs["href"].startswith(("http://", "https://", "mailto:"))
            assert attrs["rel"] == "noopener noreferrer nofollow ugc"


def test_markdown_keeps_formatting():
    html = str(render_markdown("**bold** and `code`\n\n- one\n- two\n\n[site](https://example.com)"))
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html and "<li>one</li>" in html
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow ugc">site</a>' in html


def test_slow_values_are_rebuilt_in_the_background():
    import threading
    import time

    from assay.web.data import Cached

    cache = Cached(inline_below_s=0.0)  # every build counts as slow
    assert cache.get("x", 1, lambda: "one") == "one"
    release = threading.Event()

    def slow():
        release.wait(5)
        return "two"

    assert cache.get("x", 2, slow) == "one"  # the old value at once while "two" is built
    release.set()
    deadline = time.monotonic() + 5
    while cache.get("x", 2, slow) != "two":
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_leaderboard_table_follows_the_language(store, client):
    seed_run(store, ["alpha", "beta"], ["t1"], samples=2)
    assert '<th data-sort="text">Model</th>' in client.get("/").text
    client.cookies.set("assay_lang", "zh-Hans")
    assert '<th data-sort="text">模型</th>' in client.get("/").text


def test_arena_ratings_by_source(store, client):
    import pandas as pd

    from assay.store.battles import put_battles

    put_battles(
        store,
        pd.DataFrame(
            {
                "model_a": ["j1", "j2", "j1"],
                "model_b": ["j2", "j1", "j2"],
                "winner": ["model_a", "model_b", "tie"],
                "judge": ["gpt-judge"] * 3,
            }
        ),
        source="judge-verdicts",
    )
    put_battles(
        store,
        pd.DataFrame({"model_a": ["h1", "h2"], "model_b": ["h2", "h1"], "winner": ["model_a", "tie"]}),
        source="humans",
    )
    both = client.get("/api/arena/ratings").json()
    assert both["sources"] == {"humans": 2, "judge-verdicts": 3}
    judged = client.get("/api/arena/ratings", params={"source": "judge-verdicts"}).json()
    assert judged["battles"] == 3 and {r["model"] for r in judged["ratings"]} == {"j1", "j2"}
    page = client.get("/arena/leaderboard", params={"source": "judge-verdicts"}).text
    assert "<strong>judge-verdicts</strong>" in page and 'id="sources"' in page


def test_arena_board_shows_the_api_ratings(store, client):
    import pandas as pd

    import assay
    from assay.store.battles import put_battles

    put_battles(
        store,
        pd.DataFrame(
            {
                "model_a": ["x", "y", "z", "x", "z", "y"],
                "model_b": ["y", "z", "x", "z", "y", "x"],
                "winner": ["model_a", "model_a", "model_b", "tie", "model_a", "model_b"],
            }
        ),
        source="seed",
    )
    shown = client.get("/api/arena/ratings").json()
    rated = assay.arena_ratings(matrices=True, store=store)
    assert shown["ratings"] == rated.table.to_dict()["ratings"]
    assert shown["heatmap"] == rated.groups[0].matrices.win_fraction_cells()
    assert (shown["battles"], shown["sources"]) == (6, {"seed": 6})


def test_arena_board_explains_battles_it_cannot_rate(store, client):
    import pandas as pd

    from assay.store.battles import put_battles

    put_battles(
        store,
        pd.DataFrame(
            {"model_a": ["a", "b", "c", "d"], "model_b": ["b", "a", "d", "c"], "winner": ["model_a"] * 4}
        ),
        source="apart",
    )
    data = client.get("/api/arena/ratings").json()
    assert data["battles"] == 4 and data["ratings"] == [] and data["heatmap"] == []
    assert "disconnected" in data["notes"][0] and "{a, b} | {c, d}" in data["notes"][0]
    assert client.get("/arena/leaderboard").status_code == 200
