"""HELM's mean win rate: how often a model beats the others, averaged over scenarios."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping


def mean_win_rate(
    table: Mapping[str, Mapping[str, float]], higher_is_better: Mapping[str, bool | None] | None = None
) -> dict[str, float]:
    """`table[model][column]` -> mean win rate per model.

    In each column with at least two values, a model earns 1 per model strictly worse and 0.5 per
    other model tied, divided by (values in the column - 1). A model's score is the mean over the
    columns where it has a value. Without `higher_is_better` every column counts as higher-is-better;
    with it, a column that it omits or maps to None has no direction and is skipped.
    A missing cell, None or NaN is "no value". A model with a value in no counted column gets NaN
    (no win rate), which callers show as "-".
    """
    columns = sorted({c for row in table.values() for c in row})
    per_model: dict[str, list[float]] = {m: [] for m in table}
    for column in columns:
        direction = True if higher_is_better is None else higher_is_better.get(column)
        if direction is None:
            continue
        sign = 1.0 if direction else -1.0
        values = {m: float(row[column]) for m, row in table.items() if _has_value(row.get(column))}
        if len(values) < 2:
            continue
        for model, value in values.items():
            others = [v for m, v in values.items() if m != model]
            wins = sum(1.0 for v in others if sign * value > sign * v)
            ties = sum(0.5 for v in others if v == value)
            per_model[model].append((wins + ties) / (len(values) - 1))
    return {m: (sum(rates) / len(rates) if rates else math.nan) for m, rates in per_model.items()}


def _has_value(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def mean_win_rate_by_group(
    cells: Iterable[tuple[str, str, str, float, bool | None]],
) -> dict[str, dict[str, float]]:
    """HELM's mean win rate within each metric group. `cells` are (model, column, group, value,
    higher_is_better): a column is one metric of one task (`gsm8k/exact_match`); a column without a
    direction is shown elsewhere but not ranked. Returns group -> model -> rate (NaN where a model
    has no rankable column in the group)."""
    tables: dict[str, dict[str, dict[str, float]]] = {}
    directions: dict[str, dict[str, bool | None]] = {}
    for model, column, group, value, higher in cells:
        tables.setdefault(group, {}).setdefault(model, {})[column] = value
        directions.setdefault(group, {})[column] = higher
    return {group: mean_win_rate(table, directions[group]) for group, table in tables.items()}
