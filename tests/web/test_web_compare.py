"""The compare page and its JSON: the paired comparison per task above the samples, the same numbers as
`assay.compare`, hostile model names escaped, a visitor's model names checked, English and Chinese."""

from __future__ import annotations

import math

import pytest
from fastapi.testclient import TestClient

import assay
from assay.arena import ArenaConfig
from assay.store import Store
from assay.web.app import create_app
from paired_runs import correlated_binary, write_run

EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture
def site(tmp_path):
    """SQLite only: the store queries behind these pages run on PostgreSQL in tests/api."""
    with Store.open(tmp_path / "web.db") as store:
        yield from _site(store)


def _site(any_store):
    a, b = correlated_binary(150, 0.8, 0.5, seed=11)
    run_id = write_run(
        any_store,
        {
            "alpha": {"clear": a, "flat": [1.0] * 40},  # alpha is constant on "flat": no correlation
            EVIL: {"clear": b, "flat": [1.0] * 39 + [0.0]},
        },
    )
    app = create_app(any_store, ArenaConfig(models=("m1", "m2")))
    with TestClient(app) as client:
        yield any_store, client, run_id


def test_page_shows_the_paired_comparison_with_names_escaped(site):
    store, client, run_id = site
    page = client.get(f"/runs/{run_id}/compare", params={"a": "alpha", "b": EVIL})
    assert page.status_code == 200
    html = page.text
    assert EVIL not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'id="paired-table"' in html
    clear = assay.compare(f"{run_id}:alpha", f"{run_id}:{EVIL}", store=store).tasks[0]
    size, low, high = clear.gap()
    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    assert f"alpha is better than {escaped} by {size:.1f} points (95% CI {low:.1f} to {high:.1f})" in html
    assert "no detectable difference; this run could detect" in html
    client.cookies.set("assay_lang", "zh-Hans")
    chinese = client.get(f"/runs/{run_id}/compare", params={"a": "alpha", "b": EVIL}).text
    assert "逐任务配对比较" in chinese and f"alpha 优于 {escaped}，高 {size:.1f} 分" in chinese


def test_json_carries_the_same_numbers_with_nan_as_null(site):
    store, client, run_id = site
    data = client.get(f"/api/runs/{run_id}/compare", params={"a": "alpha", "b": EVIL}).json()
    clear, flat = data["comparison"]["tasks"]
    expected = assay.compare(f"{run_id}:alpha", f"{run_id}:{EVIL}", store=store).tasks
    assert clear["p_value"] == pytest.approx(expected[0].p_value)
    assert (clear["low"], clear["high"]) == pytest.approx((expected[0].low, expected[0].high))
    assert math.isnan(expected[1].correlation) and flat["correlation"] is None
    assert flat["difference"] == pytest.approx(0.025) and len(data["pairs"]) == 190


@pytest.mark.parametrize(
    ("params", "status", "detail"),
    [
        ({"a": "alpha", "b": "nobody"}, 404, "has no model 'nobody'"),
        ({"a": "alpha", "b": "alpha"}, 400, "two different models"),
        ({"a": "alpha", "b": "x" * 301}, 422, None),
    ],
)
def test_a_visitors_model_names_are_checked(site, params, status, detail):
    _, client, run_id = site
    for path in (f"/api/runs/{run_id}/compare", f"/runs/{run_id}/compare"):
        reply = client.get(path, params=params)
        assert reply.status_code == status
        if detail and path.startswith("/api"):
            assert detail in reply.json()["detail"]


def test_two_runs_page_takes_runs_and_refuses_bare_model_names(site):
    store, client, _ = site
    old = write_run(store, {EVIL: {"clear": [0.0] * 30}})
    new = write_run(store, {"gamma": {"clear": [1.0] * 30}})
    assert 'href="/compare"' in client.get("/runs").text
    assert client.get("/compare").status_code == 200  # the empty form
    page = client.get("/compare", params={"a": new, "b": old})
    assert page.status_code == 200 and EVIL not in page.text
    assert "gamma is better than &lt;img src=x onerror=alert(1)&gt; by 100.0 points" in page.text
    refused = client.get("/compare", params={"a": "gamma", "b": old})
    assert refused.status_code == 404 and "give RUN or RUN:MODEL" in refused.text
    assert client.get("/compare", params={"a": "x" * 301, "b": old}).status_code == 422
