"""Charts for reports: Altair specs, exported to static SVG with vl-convert.

The SVG is inlined into an HTML page, so it is checked (``check_svg``) before use:
only drawing elements, no event handlers, no links, no external references.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any, Literal

import altair as alt
import vl_convert as vlc

from assay.core.results import LeaderboardRow

# Drawing elements vl-convert emits (and a few harmless relatives). Anything else is refused.
_SVG_ELEMENTS = frozenset(
    {
        "svg", "g", "rect", "path", "line", "polyline", "polygon", "circle", "ellipse",
        "text", "tspan", "title", "desc", "defs", "clipPath", "linearGradient",
        "radialGradient", "stop", "pattern", "mask",
    }
)  # fmt: skip
_LINK_ATTRIBUTES = frozenset({"href", "src", "action", "formaction"})
# Attributes that may hold url(...) paints or references; text attributes (aria-label) may not load anything.
_URL_ATTRIBUTES = frozenset(
    {
        "fill",
        "stroke",
        "clip-path",
        "mask",
        "filter",
        "marker-start",
        "marker-mid",
        "marker-end",
        "style",
        "cursor",
    }
)


def _vegalite_version() -> str | None:
    """The vl-convert Vega-Lite build matching Altair's schema (major.minor), if it ships one."""
    major_minor = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return major_minor if major_minor in vlc.get_vegalite_versions() else None


def leaderboard_chart(
    rows: Sequence[LeaderboardRow], *, model_order: Sequence[str] | None = None
) -> alt.Chart | alt.LayerChart:
    """Grouped bars: one group per task, one bar per model, with rules for the 95% interval when known.

    ``model_order`` fixes the legend and bar order (e.g. best mean win rate first);
    models missing from it follow in order of first appearance.
    """
    records = [_chart_record(row) for row in rows]
    tasks = list(dict.fromkeys(row.task for row in rows))
    models = list(dict.fromkeys([*(model_order or ()), *(row.model for row in rows)]))
    models = [m for m in models if any(row.model == m for row in rows)]
    values = [row.value for row in rows]
    in_unit_range = bool(values) and all(0.0 <= v <= 1.0 for v in values)

    scheme: Literal["tableau10", "tableau20"] = "tableau10" if len(models) <= 10 else "tableau20"
    x = alt.X("task:N", sort=tasks, title=None, axis=alt.Axis(labelAngle=0, labelLimit=160))
    x_offset = alt.XOffset("model:N", sort=models)
    y_scale = alt.Scale(domain=[0, 1]) if in_unit_range else alt.Scale(zero=True)
    color = alt.Color(
        "model:N",
        sort=models,
        scale=alt.Scale(scheme=scheme),
        legend=alt.Legend(title="model", labelLimit=260),
    )
    # Give each task group room for its bars and a readable label.
    size = {"height": 260, "width": alt.Step(max(20, min(40, 160 // max(len(models), 1))))}
    base = alt.Chart(alt.Data(values=records))
    bars = base.mark_bar().encode(
        x=x, xOffset=x_offset, y=alt.Y("value:Q", title="score", scale=y_scale), color=color
    )
    if not any(row.stderr is not None or row.low is not None for row in rows):
        return bars.properties(**size)
    whiskers = (
        base.transform_filter("isValid(datum.low)")
        .mark_rule(color="#222", strokeWidth=1.2)
        .encode(x=x, xOffset=x_offset, y=alt.Y("low:Q"), y2=alt.Y2("high:Q"))
    )
    return alt.LayerChart(layer=[bars, whiskers]).properties(**size)


def _chart_record(row: LeaderboardRow) -> dict[str, Any]:
    low, high = row.low, row.high
    if low is None and row.stderr is not None:  # no interval recorded: one standard error either side
        low, high = row.value - row.stderr, row.value + row.stderr
    return {"task": row.task, "model": row.model, "value": row.value, "low": low, "high": high}


def chart_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec as a plain dict (data inlined)."""
    return chart.to_dict()


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to a static SVG string, offline, and check it is safe to inline."""
    svg = vlc.vegalite_to_svg(chart.to_dict(), vl_version=_vegalite_version(), allowed_base_urls=[])
    return check_svg(svg)


def svg_of_spec(spec: dict[str, Any]) -> str:
    """A Vega-Lite spec (from any module's chart builder) as a checked static SVG."""
    return check_svg(vlc.vegalite_to_svg(spec, allowed_base_urls=[]))


def check_svg(svg: str) -> str:
    """Return ``svg`` unchanged if it holds only inert drawing markup, else raise ValueError.

    vl-convert escapes text correctly today; this guards the page if that ever changes,
    since model and task names (untrusted) end up in axis labels and legends.
    """
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        raise ValueError(f"chart SVG is not well-formed XML: {exc}") from exc
    for element in root.iter():
        tag = _local_name(element.tag)
        if tag not in _SVG_ELEMENTS:
            raise ValueError(f"chart SVG contains a disallowed element <{tag}>")
        for raw_name, value in element.attrib.items():
            name = _local_name(raw_name).lower()
            if name.startswith("on") or name in _LINK_ATTRIBUTES:
                raise ValueError(f"chart SVG contains a disallowed attribute {name!r}")
            if name in _URL_ATTRIBUTES and _references_outside(value):
                raise ValueError(f"chart SVG attribute {name!r} refers outside the document")
    return svg


def _local_name(qualified: str) -> str:
    return qualified.rsplit("}", 1)[-1]


def _references_outside(value: str) -> bool:
    """True for url(...) values pointing anywhere but a fragment of this document."""
    lowered = value.lower().replace(" ", "")
    start = lowered.find("url(")
    while start != -1:
        target = lowered[start + 4 :].lstrip("'\"")
        if not target.startswith("#"):
            return True
        start = lowered.find("url(", start + 4)
    return False
