"""Vega-Lite specs (built with Altair) that the browser renders with the vendored vega-embed."""

from __future__ import annotations

import json
from typing import Any

from assay.web.data import EvalBoard


def spec_json(spec: dict[str, Any]) -> str:
    # Goes inside <script type="application/json">: escape "<" so "</script>" in a name cannot close it.
    return json.dumps(spec).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def win_rate_spec(board: EvalBoard, *, top: int = 30) -> dict[str, Any]:
    import altair as alt

    data = [
        {"model": m, "mean_win_rate": board.win_rate[m]}
        for m in board.models[:top]
        if board.win_rate.get(m) == board.win_rate.get(m)
    ]  # NaN != NaN: left out
    chart = (
        alt.Chart(alt.Data(values=data))
        .mark_bar()
        .encode(
            x=alt.X("mean_win_rate:Q", title="mean win rate", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("model:N", sort="-x", title=None),
            tooltip=["model:N", alt.Tooltip("mean_win_rate:Q", format=".3f")],
        )
        .properties(width=480)
    )
    return chart.to_dict()


def heatmap_spec(cells: list[dict[str, Any]], order: list[str]) -> dict[str, Any]:
    import altair as alt

    chart = (
        alt.Chart(alt.Data(values=cells))
        .mark_rect()
        .encode(
            x=alt.X("column:N", sort=order, title="opponent"),
            y=alt.Y("row:N", sort=order, title="model"),
            color=alt.Color("win_fraction:Q", scale=alt.Scale(domain=[0, 1], scheme="redblue")),
            tooltip=["row:N", "column:N", alt.Tooltip("win_fraction:Q", format=".2f")],
        )
        .properties(width=360, height=360)
    )
    return chart.to_dict()
