"""Read models behind the pages and the JSON API, cached until the store changes."""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from assay.store import Store

T = TypeVar("T")
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Cell:
    value: float
    lower: float | None
    upper: float | None
    n: int
    metric: str


@dataclass(frozen=True)
class EvalBoard:
    tasks: tuple[str, ...]
    models: tuple[str, ...]  # best mean win rate first
    win_rate: dict[str, float]
    cells: dict[tuple[str, str], Cell]
    groups: tuple[str, ...]
    # rendered HTML/JSON of this board, per (kind, group, language): a board never changes once built
    fragments: dict[tuple[str, str, str], Any] = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tasks": list(self.tasks),
            "groups": list(self.groups),
            "rows": [
                {
                    "model": m,
                    "mean_win_rate": _num(self.win_rate.get(m)),
                    "scores": {
                        t: {
                            "value": _num(c.value),
                            "lower": _num(c.lower),
                            "upper": _num(c.upper),
                            "n": c.n,
                            "metric": c.metric,
                        }
                        for t in self.tasks
                        if (c := self.cells.get((m, t))) is not None
                    },
                }
                for m in self.models
            ],
        }

    def only_group(self, group: str | None) -> EvalBoard:
        if not group:
            return self
        tasks = tuple(t for t in self.tasks if task_group(t) == group)
        return EvalBoard(tasks, self.models, self.win_rate, self.cells, self.groups, self.fragments)


def _num(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def task_group(task: str) -> str:
    """The family a task belongs to: its name up to the first separator (mmlu_law -> mmlu)."""
    return re.split(r"[._:/-]", task, maxsplit=1)[0]


class Cached:
    """One value per name, rebuilt when a cheap fingerprint of its tables changes.

    A value that took long to build (a big leaderboard: a bootstrap per model and task) is rebuilt in
    a background thread while requests keep getting the previous value; a quick one is rebuilt inline.
    """

    def __init__(self, inline_below_s: float = 1.0, max_entries: int = 64) -> None:
        self._lock = threading.Lock()
        # name -> (fingerprint, value, build seconds), least recently used first
        self._values: OrderedDict[str, tuple[Any, Any, float]] = OrderedDict()
        self.max_entries = max_entries
        self._building: set[str] = set()
        self.inline_below_s = inline_below_s

    def get(self, name: str, fingerprint: Any, build: Callable[[], T]) -> T:
        with self._lock:
            hit = self._values.get(name)
            if hit is not None:
                self._values.move_to_end(name)
            if hit is not None and hit[0] != fingerprint and hit[2] >= self.inline_below_s:
                if name not in self._building:
                    self._building.add(name)
                    args = (name, fingerprint, build)
                    threading.Thread(target=self._rebuild, args=args, daemon=True).start()
                return hit[1]  # type: ignore[no-any-return]
        if hit is not None and hit[0] == fingerprint:
            return hit[1]  # type: ignore[no-any-return]
        return self._rebuild(name, fingerprint, build)

    def _rebuild(self, name: str, fingerprint: Any, build: Callable[[], T]) -> T:
        start = time.perf_counter()
        try:
            value = build()
        finally:
            with self._lock:
                self._building.discard(name)
        with self._lock:
            self._values[name] = (fingerprint, value, time.perf_counter() - start)
            self._values.move_to_end(name)
            while len(self._values) > self.max_entries:
                self._values.popitem(last=False)
        return value


def runs_fingerprint(store: Store) -> tuple[Any, ...]:
    return store.fingerprint("runs", "scores")


def battles_fingerprint(store: Store) -> tuple[Any, ...]:
    return store.fingerprint("battles")


def eval_board(store: Store) -> EvalBoard:
    from assay.report.leaderboard import latest_rows, win_rates

    rows = latest_rows(store)
    rates = win_rates(rows)
    cells = {}
    for row in rows:
        half = Z95 * row.stderr if row.stderr is not None and not math.isnan(row.stderr) else None
        cells[(row.model, row.task)] = Cell(
            row.value,
            None if half is None else row.value - half,
            None if half is None else row.value + half,
            row.n,
            row.metric,
        )
    tasks = tuple(sorted({r.task for r in rows}))
    return EvalBoard(
        tasks=tasks,
        models=tuple(m for m, _ in rates),
        win_rate=dict(rates),
        cells=cells,
        groups=tuple(sorted({task_group(t) for t in tasks})),
    )


def arena_ratings(store: Store, *, source: str | None = None, rounds: int = 100) -> dict[str, Any]:
    """Bradley-Terry ratings with bootstrap intervals and the pairwise win fractions, as JSON.

    `source` keeps one batch of battles: the live votes ("arena-live"), an import, or a judge's verdicts.
    """
    import numpy as np

    from assay.rank import (
        DisconnectedComparisonError,
        RatingError,
        bradley_terry_table,
        empirical_win_fraction,
        pair_counts_from_battles,
    )
    from assay.store.battles import load_battles

    battles = load_battles(store, source=source)
    if battles.empty:
        return {"battles": 0, "ratings": [], "heatmap": [], "notes": []}
    pairs = pair_counts_from_battles(battles["model_a"], battles["model_b"], battles["winner"])
    try:
        table = bradley_terry_table(pairs, ci="bootstrap", rounds=rounds, seed=0)
    except (DisconnectedComparisonError, RatingError) as exc:
        return {"battles": len(battles), "ratings": [], "heatmap": [], "notes": [str(exc)]}
    payload = table.to_dict()
    order = [row.model for row in table.rows]
    ordered = pair_counts_from_battles(
        battles["model_a"], battles["model_b"], battles["winner"], models=order
    )
    fraction = empirical_win_fraction(ordered)
    payload["heatmap"] = [
        {"row": a, "column": b, "win_fraction": float(fraction[i][j])}
        for i, a in enumerate(order)
        for j, b in enumerate(order)
        if i != j and not np.isnan(fraction[i][j])
    ]
    payload["battles"] = len(battles)
    return payload
