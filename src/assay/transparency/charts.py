"""Vega-Lite specs (plain dicts) for the report and the dashboard: the browser renders them, and
`assay transparency chart` saves them as HTML, SVG or PNG (vl-convert)."""

from __future__ import annotations

from typing import Any

from assay.transparency.analysis import breakdown, changes, open_closed, totals
from assay.transparency.model import Edition, IndicatorSet

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def heatmap_spec(edition: Edition, indicators: IndicatorSet) -> dict[str, Any]:
    """Developer x subdomain, colour = % of the subdomain's points."""
    table = breakdown(edition, indicators, "subdomain")
    rows = [
        {
            "developer": dev,
            "subdomain": sub,
            "percent": round(score.percent, 1),
            "points": f"{score.points}/{score.available}",
        }
        for dev, groups in table.items()
        for sub, score in groups.items()
    ]
    order = [d for d, _ in totals(edition)]
    return {
        "$schema": SCHEMA,
        "title": f"{edition.title}: % of points per subdomain",
        "data": {"values": rows},
        "mark": "rect",
        "width": 620,
        "height": 22 * len(order),
        "encoding": {
            "x": {
                "field": "subdomain",
                "type": "nominal",
                "sort": list(dict.fromkeys(r["subdomain"] for r in rows)),
                "axis": {"labelAngle": -45},
            },
            "y": {"field": "developer", "type": "nominal", "sort": order},
            "color": {
                "field": "percent",
                "type": "quantitative",
                "scale": {"domain": [0, 100], "scheme": "blues"},
            },
            "tooltip": [
                {"field": "developer"},
                {"field": "subdomain"},
                {"field": "points"},
                {"field": "percent", "type": "quantitative"},
            ],
        },
    }


def ranked_totals_spec(edition: Edition) -> dict[str, Any]:
    rows = [{"developer": d, "total": t} for d, t in totals(edition)]
    return {
        "$schema": SCHEMA,
        "title": f"{edition.title}: total score (of 100)",
        "data": {"values": rows},
        "mark": "bar",
        "width": 520,
        "encoding": {
            "y": {"field": "developer", "type": "nominal", "sort": "-x"},
            "x": {"field": "total", "type": "quantitative", "scale": {"domain": [0, 100]}},
            "tooltip": [{"field": "developer"}, {"field": "total", "type": "quantitative"}],
        },
    }


def open_closed_spec(edition: Edition, indicators: IndicatorSet) -> dict[str, Any]:
    """Grouped bars: mean % per subdomain for open-weights and closed developers."""
    gap = open_closed(edition, indicators)
    table = breakdown(edition, indicators, "subdomain")
    rows = []
    for kind, devs in (("open weights", gap.open_developers), ("closed", gap.closed_developers)):
        for sub in next(iter(table.values())):
            mean = sum(table[d][sub].percent for d in devs) / len(devs)
            rows.append({"subdomain": sub, "developers": kind, "percent": round(mean, 1)})
    return {
        "$schema": SCHEMA,
        "title": f"{edition.title}: open-weights vs closed developers",
        "data": {"values": rows},
        "mark": "bar",
        "width": {"step": 12},
        "encoding": {
            "x": {"field": "subdomain", "type": "nominal", "axis": {"labelAngle": -45}},
            "xOffset": {"field": "developers"},
            "y": {"field": "percent", "type": "quantitative", "scale": {"domain": [0, 100]}},
            "color": {"field": "developers", "type": "nominal"},
        },
    }


def change_spec(before: Edition, after: Edition) -> dict[str, Any]:
    rows = [
        {"developer": d, "edition": e, "total": t}
        for d, a, b in changes(before, after)
        for e, t in ((before.title, a), (after.title, b))
    ]
    return {
        "$schema": SCHEMA,
        "title": f"Change in total score: {before.title} to {after.title}",
        "data": {"values": rows},
        "mark": {"type": "line", "point": True},
        "width": 360,
        "encoding": {
            "x": {"field": "edition", "type": "ordinal", "sort": [before.title, after.title]},
            "y": {"field": "total", "type": "quantitative", "scale": {"domain": [0, 100]}},
            "color": {"field": "developer", "type": "nominal"},
        },
    }
