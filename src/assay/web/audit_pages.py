"""The audit pages: the transparency index, AI trends and the safety report, each from its API call.

Each context function returns {"tables": [...], "charts": [...], ...} for templates/audit.html; each
data function the JSON behind its page.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import HTTPException, Request

import assay
from assay.api import SafetyReport, TransparencyOverview
from assay.api import trends as trends_api
from assay.api.trend_views import TrendsOverview
from assay.core.errors import AssayError
from assay.web.charts import spec_json
from assay.web.context import state
from assay.web.data import runs_fingerprint


def _charts(charts: tuple[tuple[str, dict[str, Any]], ...]) -> list[dict[str, str]]:
    return [{"title": title, "spec": spec_json(spec)} for title, spec in charts]


# The shipped editions and benchmarks never change in a process, and only names that exist get
# cached (an unknown one raises), so a visitor cannot grow these caches.
@functools.lru_cache(maxsize=8)
def _transparency(edition: str) -> TransparencyOverview:
    try:
        return assay.transparency_overview(edition)
    except AssayError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


@functools.lru_cache(maxsize=64)
def _trends(benchmark: str) -> TrendsOverview:
    try:
        return trends_api.overview(benchmark)
    except AssayError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


def transparency_data(edition: str) -> dict[str, Any]:
    """Totals and per-domain % for one published edition (the JSON behind the page)."""
    return _transparency(edition).to_dict()


def transparency_context(_request: Request, edition: str = "2025") -> dict[str, Any]:
    view = _transparency(edition)
    domains = list(view.developers[0]["domains"]) if view.developers else []
    table = {
        "title": f"{view.title} ({view.license})",
        "columns": ["developer", "total", *[f"{d} %" for d in domains]],
        "rows": [[d["developer"], d["total"], *d["domains"].values()] for d in view.developers],
    }
    return {
        "tables": [table],
        "charts": _charts(view.charts),
        "choices": [
            {"label": e, "href": f"?edition={e}", "current": e == edition}
            for e in assay.transparency_editions()
        ],
        "source": view.source,
    }


def trends_data(benchmark: str) -> dict[str, Any]:
    """State of the art by year and the open-vs-closed gap for one benchmark (the JSON behind the page)."""
    return _trends(benchmark).to_dict()


def trends_context(_request: Request, benchmark: str = "MMLU") -> dict[str, Any]:
    view = _trends(benchmark)
    table = {
        "title": f"{benchmark}: state of the art by year",
        "columns": ["year", "best", "model", "gain (points)"],
        "rows": [
            [y.year, y.score, y.model, "" if y.gain_points is None else round(y.gain_points, 1)]
            for y in view.by_year
        ],
    }
    return {
        "tables": [table],
        "charts": _charts(view.charts),
        "choices": [{"label": b, "href": f"?benchmark={b}", "current": b == benchmark} for b in view.choices],
        "source": view.source,
    }


def cached_safety_report(request: Request) -> SafetyReport:
    """Built once per store state (it reads every recent run), not once per visitor."""
    web = state(request)
    return web.cache.get("safety", runs_fingerprint(web.store), lambda: assay.safety_report(store=web.store))


def safety_context(request: Request) -> dict[str, Any]:
    """Per model: harmful compliance, over-refusal, classifier quality, bias and truthfulness from the
    store's safety runs; one table over models and one bar chart per model."""
    report = cached_safety_report(request)
    keys = report.keys()
    table = {
        "title": "safety",
        "columns": ["model", *report.labels().values()],
        "rows": [
            [m.model, *["" if m.value(k) is None else round(m.value(k) or 0.0, 3) for k in keys]]
            for m in report.models
        ],
    }
    charts = tuple(report.charts().items())
    return {"tables": [table] if report.models else [], "charts": _charts(charts), "empty": not report.models}
