"""Pages for modules that may not be installed yet (transparency, trends).

Each context function returns {"tables": [...], "charts": [...]} for templates/optional.html; the nav
shows a page only when its module imports (app.WebState.optional_pages).
"""

from __future__ import annotations

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


def trends_context(request: Request) -> dict[str, Any]:
    _require(request, "trends")
    # Hook: state-of-the-art series charts from assay.trends.
    return {"tables": [], "charts": []}
