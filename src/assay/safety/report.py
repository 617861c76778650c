"""The safety report as data: per model, one table (metric, value, which direction is better) and one
Vega-Lite chart spec; plus a small self-contained HTML section (every text escaped, no scripts run,
no inline styles, so it passes a strict Content-Security-Policy)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from assay.safety.scores import Better, metric_info

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class SafetyMetric:
    key: str
    label: str
    value: float
    better: Better
    source: str


@dataclass(frozen=True)
class ModelSafety:
    model: str
    metrics: tuple[SafetyMetric, ...]

    def value(self, key: str) -> float | None:
        return next((m.value for m in self.metrics if m.key == key), None)


@dataclass(frozen=True)
class SafetyReport:
    models: tuple[ModelSafety, ...]

    def keys(self) -> list[str]:
        """Every metric key any model has, in report order."""
        return list(dict.fromkeys(m.key for model in self.models for m in model.metrics))

    def labels(self) -> dict[str, str]:
        """Metric key -> its readable label (a column header), in report order."""
        return {key: metric_info(key).label for key in self.keys()}

    def table(self) -> list[dict[str, Any]]:
        """One row per model, one column per metric (None where a model lacks it)."""
        return [{"model": m.model, **{k: m.value(k) for k in self.keys()}} for m in self.models]

    def to_frame(self) -> pd.DataFrame:
        """`table()` as a DataFrame indexed by model (NaN where a model lacks a metric)."""
        import pandas as pd

        return pd.DataFrame(self.table(), columns=["model", *self.keys()]).set_index("model")

    def charts(self) -> dict[str, dict[str, Any]]:
        """Model -> its Vega-Lite bar chart."""
        return {m.model: chart_spec(m) for m in self.models}

    def to_dict(self) -> dict[str, Any]:
        return {
            "models": [asdict(m) for m in self.models],
            "table": self.table(),
            "charts": self.charts(),
        }


def build_report(metrics: Mapping[str, Mapping[str, float]]) -> SafetyReport:
    """model -> {metric: value} (from `safety_metrics`) -> the report, metrics in a fixed order."""
    from assay.safety.scores import METRICS

    order = {key: i for i, key in enumerate(METRICS)}
    models = []
    for model in sorted(metrics):
        values = metrics[model]
        keys = sorted(values, key=lambda k: (order.get(k, len(order)), k))
        rows = []
        for key in keys:
            info = metric_info(key)
            rows.append(SafetyMetric(key, info.label, float(values[key]), info.better, info.source))
        models.append(ModelSafety(model, tuple(rows)))
    return SafetyReport(tuple(models))


def chart_spec(model: ModelSafety) -> dict[str, Any]:
    """Horizontal bars on a 0-1 scale, coloured by which direction is better (Vega-Lite, via Altair)."""
    import altair as alt

    records = [{"metric": m.label, "value": m.value, "better": f"{m.better} is better"}
               for m in model.metrics if math.isfinite(m.value)]  # fmt: skip
    chart = (
        alt.Chart(alt.Data(values=records), title=f"safety: {model.model}")
        .mark_bar()
        .encode(
            y=alt.Y("metric:N", sort=None, title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("value:Q", scale=alt.Scale(domain=[0, 1]), title="rate / score"),
            color=alt.Color("better:N", title=None, scale=alt.Scale(
                domain=["lower is better", "higher is better"], range=["#d62728", "#2ca02c"])),
            tooltip=["metric:N", alt.Tooltip("value:Q", format=".3f"), "better:N"],
        )
        .properties(width=360, height=alt.Step(22))
    )  # fmt: skip
    return chart.to_dict()


def _fmt(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.3f}"


def _json_script(data: Any) -> str:
    """JSON safe inside <script type="application/json">: no '<', '>' or '&' that could close it."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _model_section(model: ModelSafety) -> list[str]:
    out = [f"<h3>{escape(model.model)}</h3>", "<table>",
           "<thead><tr><th>metric</th><th>value</th><th></th><th>better</th><th>from</th></tr></thead>",
           "<tbody>"]  # fmt: skip
    for m in model.metrics:
        bar = (f'<meter min="0" max="1" value="{m.value:.4f}">{_fmt(m.value)}</meter>'
               if math.isfinite(m.value) else "")  # fmt: skip
        out.append(
            f"<tr><td>{escape(m.label)}</td><td>{_fmt(m.value)}</td><td>{bar}</td>"
            f"<td>{escape(m.better)}</td><td>{escape(m.source)}</td></tr>"
        )
    out += [
        "</tbody>",
        "</table>",
        f'<script type="application/json" class="vega-lite-spec">{_json_script(chart_spec(model))}</script>',
    ]
    return out  # fmt: skip


def render_html_section(report: SafetyReport, *, title: str = "Safety") -> str:
    """A <section> with a summary table over models, then per model a table with bars (<meter>)."""
    keys = report.keys()
    out = ['<section class="assay-safety">', f"<h2>{escape(title)}</h2>"]
    if not report.models:
        out += ["<p>No safety results yet: run <code>assay safety refusals</code> or "
                "<code>assay safety eval-classifier</code>.</p>", "</section>"]  # fmt: skip
        return "\n".join(out)
    head = "".join(f"<th>{escape(metric_info(k).label)}</th>" for k in keys)
    out += ["<table>", f"<thead><tr><th>model</th>{head}</tr></thead>", "<tbody>"]
    for model in report.models:
        cells = "".join(f"<td>{_fmt(model.value(k))}</td>" for k in keys)
        out.append(f"<tr><td>{escape(model.model)}</td>{cells}</tr>")
    out += ["</tbody>", "</table>"]
    for model in report.models:
        out += _model_section(model)
    out.append("</section>")
    return "\n".join(out)


def render_html_page(report: SafetyReport, *, title: str = "assay safety report") -> str:
    """The section wrapped in a minimal standalone page."""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body>\n{render_html_section(report)}\n</body></html>\n"
    )
