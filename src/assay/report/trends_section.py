"""The run in context: for each task that tracks a public benchmark, the state of the art over time
(shipped Epoch AI data) as an inline SVG, and this run's best score next to the record."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from assay.report.html import LeaderboardRow

# assay task group -> the benchmark's name in the trends data (scores there are in %).
TRACKED = {
    "gsm8k": "GSM8K",
    "mmlu": "MMLU",
    "hellaswag": "HellaSwag",
    "arc_challenge": "ARC-Challenge",
    "boolq": "BoolQ",
    "gpqa_diamond": "GPQA",
}


def _benchmark_of(task: str) -> str | None:
    for prefix, name in TRACKED.items():
        if task == prefix or task.startswith(prefix + "_") or task.startswith(prefix + "["):
            return name
    return None


def trends_sections(rows: Sequence[LeaderboardRow]) -> tuple[str, ...]:
    """One <section> per tracked benchmark among the run's tasks; none when nothing is tracked."""
    best: dict[str, LeaderboardRow] = {}
    for row in rows:
        name = _benchmark_of(row.task)
        if name and (name not in best or row.value > best[name].value):
            best[name] = row
    if not best:
        return ()
    import vl_convert as vlc

    from assay.report.charts import check_svg
    from assay.trends import load_default, sota
    from assay.trends.charts import sota_chart

    data = load_default()
    out = []
    for name, row in sorted(best.items()):
        records = sota.sota_series(data.results, name)
        if not records:
            continue
        top = max(records, key=lambda p: p.score)
        svg = check_svg(vlc.vegalite_to_svg(sota_chart(data.results, name), allowed_base_urls=[]))
        out.append(
            f'<section class="assay-trends"><h2>{escape(name)}: this run against the state of the art</h2>'
            f"<p>Best in this run: {escape(row.model)}, {100 * row.value:.1f}% ({escape(row.task)}, "
            f"{escape(row.metric)}). Best published: {top.score:.1f}% by {escape(top.model)} "
            f"({top.date.isoformat()}). Source: Epoch AI, CC BY 4.0.</p>"
            f'<figure class="chart">{svg}</figure></section>'
        )
    return tuple(out)
