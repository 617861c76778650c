"""Pages for modules that may not be installed yet (transparency, trends).

Each context function returns {"tables": [...], "charts": [...]} for templates/optional.html; the nav
shows a page only when its module imports (app.WebState.optional_pages).
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any

from fastapi import HTTPException, Request

from assay.web.app import state


def _require(request: Request, name: str) -> None:
    if not state(request).optional_pages.get(name):
        raise HTTPException(status_code=404, detail=f"the {name} module is not installed")


EDITIONS = ("2025", "2024", "2023")


def transparency_data(edition_name: str) -> dict[str, Any]:
    """Totals and per-domain % for one published edition (the JSON behind the page)."""
    from assay.transparency import load_edition, load_indicator_set
    from assay.transparency.analysis import breakdown, totals

    if edition_name not in EDITIONS:
        raise HTTPException(status_code=404, detail=f"unknown edition {edition_name!r}; one of {EDITIONS}")
    edition = load_edition(edition_name)
    indicators = load_indicator_set(edition.indicator_set)
    domains = breakdown(edition, indicators, "domain")
    developers = [
        {
            "developer": name,
            "total": total,
            "domains": {d: round(g.percent, 1) for d, g in domains[name].items()},
        }
        for name, total in totals(edition)
    ]
    return {
        "edition": edition.name,
        "title": edition.title,
        "source": edition.source,
        "license": edition.license,
        "developers": developers,
    }


def transparency_context(request: Request, edition_name: str = EDITIONS[0]) -> dict[str, Any]:
    _require(request, "transparency")
    from assay.transparency import charts as tcharts
    from assay.transparency import load_edition, load_indicator_set
    from assay.web.charts import spec_json

    data = transparency_data(edition_name)
    edition = load_edition(edition_name)
    indicators = load_indicator_set(edition.indicator_set)
    domain_names = list(data["developers"][0]["domains"]) if data["developers"] else []
    table = {
        "title": f"{data['title']} ({data['license']})",
        "columns": ["developer", "total", *[f"{d} %" for d in domain_names]],
        "rows": [[d["developer"], d["total"], *d["domains"].values()] for d in data["developers"]],
    }
    charts = [
        ("ranked totals", tcharts.ranked_totals_spec(edition)),
        ("developer x subdomain", tcharts.heatmap_spec(edition, indicators)),
        ("open vs closed weights", tcharts.open_closed_spec(edition, indicators)),
    ]
    earlier = EDITIONS.index(edition_name) + 1
    if earlier < len(EDITIONS):
        before = load_edition(EDITIONS[earlier])
        if before.indicator_set == edition.indicator_set:  # totals on different sets do not compare
            charts.append((f"change from {before.name}", tcharts.change_spec(before, edition)))
    return {
        "tables": [table],
        "charts": [{"title": title, "spec": spec_json(spec)} for title, spec in charts],
        "choices": [{"label": e, "href": f"?edition={e}", "current": e == edition_name} for e in EDITIONS],
        "source": data["source"],
    }


TREND_BENCHMARKS = ("MMLU", "GSM8K", "GPQA", "BBH", "HellaSwag", "ARC-Challenge")


@functools.lru_cache(maxsize=1)
def _cached_trends() -> Any:
    from assay.trends import load_default

    return load_default()  # the shipped Epoch AI figures (CC BY): read once per process


def trends_data(benchmark: str) -> dict[str, Any]:
    """State of the art by year and the open-vs-closed gap for one benchmark (the JSON behind the page)."""
    from assay.trends import TrendsError, gap, sota

    data = _cached_trends()
    try:
        years = sota.sota_by_year(data.results, benchmark)
    except TrendsError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    lag = gap.median_lag_days(gap.open_lag(data.results, benchmark))
    return {
        "benchmark": benchmark,
        "source": "Epoch AI, Data on AI Models and Benchmarking Hub (CC BY 4.0)",
        "sota_by_year": [
            {"year": y.year, "best": y.score, "model": y.model, "gain_points": y.gain_points} for y in years
        ],
        "median_open_lag_days": lag,
    }


def trends_context(request: Request, benchmark: str = TREND_BENCHMARKS[0]) -> dict[str, Any]:
    _require(request, "trends")
    from assay.trends import charts as tcharts
    from assay.trends import gap, sota
    from assay.web.charts import spec_json

    payload = trends_data(benchmark)
    data = _cached_trends()
    table = {
        "title": f"{benchmark}: state of the art by year",
        "columns": ["year", "best", "model", "gain (points)"],
        "rows": [
            [r["year"], r["best"], r["model"], "" if r["gain_points"] is None else round(r["gain_points"], 1)]
            for r in payload["sota_by_year"]
        ],
    }
    charts = [("state of the art over time", tcharts.sota_chart(data.results, benchmark))]
    with contextlib.suppress(Exception):  # a benchmark with only closed (or open) results has no gap
        charts.append(("best open vs best closed", tcharts.gap_chart(data.results, benchmark)))
    summary = gap.gap_summary(data.results)
    if summary.benchmarks:
        charts.append(("closed-model advantage per benchmark", tcharts.gap_summary_chart(summary)))
    known = sota.benchmark_names(data.results)
    choices = [b for b in TREND_BENCHMARKS if b in known] or list(known)[:6]
    return {
        "tables": [table],
        "charts": [{"title": title, "spec": spec_json(spec)} for title, spec in charts],
        "choices": [{"label": b, "href": f"?benchmark={b}", "current": b == benchmark} for b in choices],
        "source": payload["source"],
    }


def safety_context(request: Request) -> dict[str, Any]:
    """Per model: harmful compliance, over-refusal, classifier quality, bias and truthfulness from the
    store's safety runs; one table over models and one bar chart per model."""
    _require(request, "safety")
    from assay.safety.scores import metric_info
    from assay.web.charts import spec_json

    report = cached_safety_report(request)
    keys = report.keys()
    table = {
        "title": "safety",
        "columns": ["model", *[metric_info(k).label for k in keys]],
        "rows": [
            [m.model, *["" if m.value(k) is None else round(m.value(k) or 0.0, 3) for k in keys]]
            for m in report.models
        ],
    }
    charts = [{"title": m.model, "spec": spec_json(spec)} for m, spec in report_charts(report)]
    return {"tables": [table] if report.models else [], "charts": charts, "empty": not report.models}


def report_charts(report: Any) -> list[tuple[Any, dict[str, Any]]]:
    from assay.safety.report import chart_spec

    return [(m, chart_spec(m)) for m in report.models]


def cached_safety_report(request: Request) -> Any:
    """Built once per store state (it reads every recent run), not once per visitor."""
    from assay.safety.api import safety_report
    from assay.web.data import runs_fingerprint

    web = state(request)
    return web.cache.get("safety", runs_fingerprint(web.store), lambda: safety_report(web.store))
