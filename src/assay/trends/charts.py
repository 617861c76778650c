"""Charts as Vega-Lite specs (built with Altair, returned as plain dicts) for the report, the dashboard
and `assay.save_chart` (JSON, or rendered to HTML, SVG or PNG)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import altair as alt

from assay.trends.catalogue import Catalogue
from assay.trends.emissions import TrainingEstimate
from assay.trends.gap import GapSummary
from assay.trends.records import BenchmarkResult, HumanBaseline, TrendsError
from assay.trends.sota import benchmark_results, require_results, sota_series

ACCESS_COLOURS = alt.Scale(domain=["closed", "open", "unknown"], range=["#d62728", "#1f77b4", "#9e9e9e"])


def _data(rows: Sequence[dict[str, Any]]) -> alt.Data:
    return alt.Data(values=list(rows))


def _row(r: BenchmarkResult) -> dict[str, Any]:
    return {
        "model": r.model,
        "score": r.score,
        "date": r.release_date.isoformat() if r.release_date else None,
        "access": r.access,
        "source": r.source,
    }


def sota_chart(
    results: Iterable[BenchmarkResult], benchmark: str, baselines: Iterable[HumanBaseline] = ()
) -> dict[str, Any]:
    """Every dated result (colour = open/closed), the state-of-the-art step line, baseline rules."""
    rows = require_results(results, benchmark)
    name = rows[0].benchmark
    points = (
        alt.Chart(_data([_row(r) for r in rows]))
        .mark_circle(size=40, opacity=0.6)
        .encode(
            x=alt.X("date:T", title="release date"),
            y=alt.Y("score:Q", title=f"{name} ({rows[0].unit})"),
            color=alt.Color("access:N", scale=ACCESS_COLOURS, title="weights"),
            tooltip=["model:N", "date:T", "score:Q", "access:N", "source:N"],
        )
    )
    series = [
        {"date": p.date.isoformat(), "score": p.score, "model": p.model} for p in sota_series(rows, name)
    ]
    line = (
        alt.Chart(_data(series))
        .mark_line(interpolate="step-after", color="black")
        .encode(x="date:T", y="score:Q", tooltip=["model:N", "date:T", "score:Q"])
    )
    layers: list[Any] = [points, line]
    marks = [
        {"score": b.score, "label": f"{b.label}: {b.score:g} ({b.citation})"}
        for b in baselines
        if b.benchmark.lower() == name.lower()
    ]
    if marks:
        rule = (
            alt.Chart(_data(marks))
            .mark_rule(strokeDash=[6, 4], color="#2ca02c")
            .encode(y="score:Q", tooltip=["label:N"])
        )
        text = (
            alt.Chart(_data(marks))
            .mark_text(align="left", dx=4, dy=-6, color="#2ca02c")
            .encode(y="score:Q", text="label:N", x=alt.value(0))
        )
        layers += [rule, text]
    chart = alt.layer(*layers).properties(
        title=f"{name}: state of the art by release date", width=560, height=320
    )
    return chart.to_dict()


def gap_chart(results: Iterable[BenchmarkResult], benchmark: str) -> dict[str, Any]:
    """The best open and the best closed score to date, as two step lines."""
    rows = require_results(results, benchmark)
    name = rows[0].benchmark
    series = []
    for access in ("closed", "open"):
        subset = [r for r in rows if r.access == access]
        if subset:
            series += [
                {"date": p.date.isoformat(), "score": p.score, "model": p.model, "access": access}
                for p in sota_series(subset, name)
            ]
    if not series:
        raise TrendsError(f"no open or closed results for {name}")
    chart = (
        alt.Chart(_data(series))
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X("date:T", title="release date"),
            y=alt.Y("score:Q", title=f"best {name} to date"),
            color=alt.Color("access:N", scale=ACCESS_COLOURS, title="weights"),
            tooltip=["model:N", "date:T", "score:Q", "access:N"],
        )
        .properties(title=f"{name}: best closed vs best open model", width=560, height=320)
    )
    return chart.to_dict()


def gap_summary_chart(summary: GapSummary) -> dict[str, Any]:
    """Relative advantage of the best closed model per benchmark, with the median as a rule."""
    rows = [
        {
            "benchmark": g.benchmark,
            "advantage": 100 * g.relative,
            "closed": g.closed_model,
            "open": g.open_model,
        }
        for g in summary.benchmarks
    ]
    if not rows:
        raise TrendsError("no benchmark has both an open and a closed result")
    bars = (
        alt.Chart(_data(rows))
        .mark_bar()
        .encode(
            x=alt.X("advantage:Q", title="closed advantage over open, % of the open score"),
            y=alt.Y("benchmark:N", sort="-x", title=None),
            color=alt.condition("datum.advantage > 0", alt.value("#d62728"), alt.value("#1f77b4")),
            tooltip=["benchmark:N", "advantage:Q", "closed:N", "open:N"],
        )
    )
    layers: list[Any] = [bars]
    if summary.median_relative is not None:
        layers.append(
            alt.Chart(_data([{"median": 100 * summary.median_relative}]))
            .mark_rule(strokeDash=[4, 3])
            .encode(x="median:Q", tooltip=["median:Q"])
        )
    median = f"{100 * summary.median_relative:.1f}%" if summary.median_relative is not None else "-"
    return (
        alt.layer(*layers)
        .properties(
            title=f"Open vs closed: median closed advantage {median}",
            width=480,
            height=max(120, 18 * len(rows)),
        )
        .to_dict()
    )


def scaling_chart(
    results: Iterable[BenchmarkResult],
    catalogue: Catalogue,
    benchmark: str,
    x: str = "compute",
    colour: str = "access",
) -> dict[str, Any]:
    """Score against training compute or parameters (log axis); colour = access or developer."""
    column = {"compute": "training_compute_flop", "parameters": "parameters"}.get(x)
    if column is None or colour not in ("access", "developer"):
        raise TrendsError("x must be compute or parameters, colour access or developer")
    rows = []
    for r in benchmark_results(results, benchmark):
        entry = catalogue.entry_for(r)
        value = getattr(entry, column) if entry else None
        if value:
            rows.append(
                {
                    **_row(r),
                    x: value,
                    "developer": r.developer or (entry.developer if entry else None) or "unknown",
                }
            )
    if not rows:
        raise TrendsError(f"no {benchmark} result has a catalogue entry with {x}")
    scale = ACCESS_COLOURS if colour == "access" else alt.Scale(scheme="tableau20")
    chart = (
        alt.Chart(_data(rows))
        .mark_circle(size=60)
        .encode(
            x=alt.X(
                f"{x}:Q",
                scale=alt.Scale(type="log"),
                title="training compute (FLOP)" if x == "compute" else "parameters",
            ),
            y=alt.Y("score:Q", title=benchmark),
            color=alt.Color(f"{colour}:N", scale=scale),
            tooltip=["model:N", "developer:N", f"{x}:Q", "score:Q", "access:N"],
        )
        .properties(title=f"{benchmark} vs {x}", width=520, height=320)
    )
    return chart.to_dict()


def emissions_chart(estimates: Sequence[TrainingEstimate]) -> dict[str, Any]:
    """Estimated training CO2 per model, next to the published figure where there is one."""
    rows = [{"model": e.model, "kind": "estimate", "co2_t": e.co2_t, "basis": e.method} for e in estimates]
    rows += [
        {"model": e.model, "kind": "reported", "co2_t": e.reported_co2_t, "basis": e.reported_source}
        for e in estimates
        if e.reported_co2_t is not None
    ]
    if not rows:
        raise TrendsError("no emission estimates to chart")
    chart = (
        alt.Chart(_data(rows))
        .mark_bar()
        .encode(
            y=alt.Y("model:N", title=None),
            x=alt.X("co2_t:Q", title="training emissions (t CO2e)"),
            yOffset="kind:N",
            color=alt.Color("kind:N", title=None),
            tooltip=["model:N", "kind:N", "co2_t:Q", "basis:N"],
        )
        .properties(title="Training emissions: estimated and reported", width=480)
    )
    return chart.to_dict()
