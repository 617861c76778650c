"""The dashboard in a real Chromium: pages, charts under the CSP, sorting, language, XSS, a real battle."""

import pandas as pd
import pytest

from assay.arena import ArenaConfig
from assay.store import Store
from assay.store.arena_live import open_battle, put_answer
from assay.store.battles import put_battles
from assay.store.synthetic import seed_run
from assay.web.app import create_app
from assay.web.security import SESSION_COOKIE, session_id_of

from .conftest import LiveServer

SECRET = b"browser-test-secret-" * 2

XSS = [
    "<script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 2">',
    '<svg onload="window.__pwned = 3"></svg>',
    "[click me](javascript:window.__pwned=4)",
    '<a href="javascript:window.__pwned=5">x</a>',
    '<iframe srcdoc="<script>parent.__pwned=6</script>"></iframe>',
    '<details open ontoggle="window.__pwned=7">x</details>',
    '![x](x" onerror="window.__pwned=8)',
    "<style>body{background:url(https://evil.example/x)}</style>",
    "</script><script>window.__pwned=9</script>",
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=10">',
    '<body onload="window.__pwned=11">',
]


@pytest.fixture
def site(tmp_path):
    from servers import smollm2_gguf

    models = ("smollm2-135m", f"llama.cpp:{smollm2_gguf()}")
    with Store.open(tmp_path / "web.db") as store:
        app = create_app(store, ArenaConfig(models=models, max_tokens=12), secret=SECRET)
        with LiveServer(app) as server:
            server.store = store
            server.models = models
            yield server


def assert_clean(page):
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("window.__csp") == []
    assert page.problems == []


def test_pages_load_and_charts_render(site, page, artifacts):
    seed_run(site.store, [f"model-{i}" for i in range(6)], ["mmlu_law", "mmlu_art", "gsm8k"], samples=5)
    battles = pd.DataFrame(
        {
            "model_a": ["model-0", "model-1", "model-2"] * 4,
            "model_b": ["model-1", "model-2", "model-0"] * 4,
            "winner": ["model_a", "model_b", "tie", "model_a"] * 3,
        }
    )
    put_battles(site.store, battles, source="seed")
    run_id = site.store.list_runs(1)[0].id
    for name, path in [
        ("leaderboard", "/"),
        ("arena-ratings", "/arena/leaderboard"),
        ("runs", "/runs"),
        ("run", f"/runs/{run_id}"),
        ("compare", f"/runs/{run_id}/compare?a=model-0&b=model-1"),
        ("arena", "/arena"),
        ("api", "/api"),
        ("trends", "/trends?benchmark=GSM8K"),
        ("safety", "/safety"),
        ("transparency", "/transparency?edition=2024"),
    ]:
        page.goto(site.url + path)
        if page.locator(".vl-chart").count():
            page.wait_for_selector(
                ".vl-chart[data-rendered] svg, .vl-chart[data-rendered] canvas", timeout=15000
            )
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
        assert_clean(page)
    # Every transparency chart (totals, heatmap, open vs closed, change) drew itself.
    page.wait_for_function(
        "document.querySelectorAll('.vl-chart[data-rendered] svg, .vl-chart[data-rendered] canvas')"
        ".length === 4",
        timeout=15000,
    )
    assert page.locator(".vl-chart[data-rendered]").count() == page.locator(".vl-chart").count() == 4


def test_sort_leaderboard_and_switch_language(site, page, artifacts):
    seed_run(site.store, [f"model-{i}" for i in range(5)], ["t1", "t2"], samples=6, seed=2)
    page.goto(site.url + "/")
    header = page.locator("#leaderboard thead th", has_text="t1")

    def column():
        cells = page.locator("#leaderboard tbody tr td:nth-child(3)").evaluate_all(
            "cells => cells.map(c => parseFloat(c.dataset.value))"
        )
        return cells

    header.click()
    assert column() == sorted(column(), reverse=True)
    header.click()
    assert column() == sorted(column())
    page.screenshot(path=str(artifacts / "sorted.png"))
    page.click("#lang-zh-Hans")
    page.wait_for_selector("html[lang='zh-Hans']")
    assert page.locator("#nav-leaderboard").inner_text() == "排行榜"
    page.screenshot(path=str(artifacts / "zh-Hans.png"))
    page.click("#lang-en")
    page.wait_for_selector("html[lang='en']")
    assert page.locator("#nav-leaderboard").inner_text() == "Leaderboard"
    assert_clean(page)


def test_xss_payloads_never_run(site, page, artifacts):
    run_id = seed_run(site.store, ["evil-a", "evil-b"], ["xss"], samples=len(XSS), answers=XSS)
    page.goto(site.url + f"/runs/{run_id}")
    assert page.locator("article.sample").count() == 2 * len(XSS)
    page.goto(site.url + f"/runs/{run_id}/compare?a=evil-a&b=evil-b")
    assert page.locator("#paired-table tbody tr").count() == 1  # the paired comparison, one task
    page.wait_for_timeout(300)  # let any injected handler fire
    page.screenshot(path=str(artifacts / "xss-run.png"), full_page=True)
    assert_clean(page)
    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
    session = session_id_of(SECRET, cookie)
    for i, payload in enumerate(XSS):
        open_battle(site.store, f"xss-{i}", session, site.models, payload)
        put_answer(site.store, f"xss-{i}", "a", payload)
        put_answer(site.store, f"xss-{i}", "b", XSS[-1 - i])
        page.goto(site.url + f"/arena/b/xss-{i}")
        page.wait_for_timeout(100)
        assert page.locator("#vote-form").count() == 1
        assert_clean(page)
    page.screenshot(path=str(artifacts / "xss-battle.png"), full_page=True)
    # and a hostile model name on the leaderboard and its chart data
    seed_run(site.store, ["</script><script>window.__pwned=12</script>"], ["xss"], samples=1)
    page.goto(site.url + "/")
    page.wait_for_selector(".vl-chart[data-rendered]", timeout=15000)
    assert_clean(page)


def test_battle_end_to_end_changes_the_ratings(site, page, artifacts):
    a, b = site.models
    put_battles(
        site.store,
        pd.DataFrame(
            {
                "model_a": [a, b, a, b],
                "model_b": [b, a, b, a],
                "winner": ["model_a", "model_a", "tie", "model_b"],
            }
        ),
        source="seed",
    )
    page.goto(site.url + "/arena/leaderboard")
    before = {
        row.locator("td.model").inner_text(): int(row.locator("td.battles").inner_text())
        for row in page.locator("#ratings tbody tr").all()
    }
    assert before == {a: 4, b: 4}
    page.goto(site.url + "/arena")
    page.fill("#prompt", "Name a colour.")
    page.click("#fight")
    page.wait_for_selector("#vote-form", timeout=60000)  # answers streamed in, then the vote form
    shown = page.content()
    assert (
        a not in shown and b not in shown and page.locator(".revealed").count() == 0
    )  # hidden until the vote
    assert (
        page.locator("#answer-a .md").inner_text().strip()
        and page.locator("#answer-b .md").inner_text().strip()
    )
    page.screenshot(path=str(artifacts / "battle-answers.png"), full_page=True)
    page.click("#vote-a")
    page.wait_for_selector("#vote-result")
    names = {page.locator("#name-a").inner_text(), page.locator("#name-b").inner_text()}
    assert names == {a, b}
    page.screenshot(path=str(artifacts / "battle-revealed.png"), full_page=True)
    page.goto(site.url + "/arena/leaderboard")
    after = {
        row.locator("td.model").inner_text(): int(row.locator("td.battles").inner_text())
        for row in page.locator("#ratings tbody tr").all()
    }
    assert after == {a: 5, b: 5}
    page.screenshot(path=str(artifacts / "ratings-after.png"), full_page=True)
    assert_clean(page)
