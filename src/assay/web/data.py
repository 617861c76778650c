"""Read models behind the pages and the JSON API, cached until the store changes."""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import assay
from assay.api import Store
from assay.core.errors import DatasetError

T = TypeVar("T")
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Cell:
    value: float
    lower: float | None
    upper: float | None
    n: int
    metric: str
    method: str | None = None  # how the interval was made ("wilson-cc", "clustered-wilson", "t", ...)
    clusters: int | None = None


@dataclass(frozen=True)
class RankCell:
    rank: int
    low: int
    high: int
    group: int


@dataclass(frozen=True)
class EvalBoard:
    tasks: tuple[str, ...]
    models: tuple[str, ...]  # best mean win rate first
    win_rate: dict[str, float]
    cells: dict[tuple[str, str], Cell]
    groups: tuple[str, ...]
    ranks: dict[str, RankCell] = field(default_factory=dict)  # per model: rank interval and tie group
    # HELM's metric groups: (group, {model: mean win rate}) and (group, metric rows) for the tabs
    metric_groups: tuple[tuple[str, dict[str, float]], ...] = ()
    group_metrics: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    # rendered HTML/JSON of this board, per (kind, group, language): a board never changes once built
    fragments: dict[tuple[str, str, str], Any] = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tasks": list(self.tasks),
            "groups": list(self.groups),
            "metric_groups": {g: {m: _num(r) for m, r in rates.items()} for g, rates in self.metric_groups},
            "rows": [
                {
                    "model": m,
                    "mean_win_rate": _num(self.win_rate.get(m)),
                    "rank": asdict(self.ranks[m]) if m in self.ranks else None,
                    "scores": {
                        t: {
                            "value": _num(c.value),
                            "lower": _num(c.lower),
                            "upper": _num(c.upper),
                            "n": c.n,
                            "metric": c.metric,
                            "method": c.method,
                            "clusters": c.clusters,
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
        return EvalBoard(
            tasks,
            self.models,
            self.win_rate,
            self.cells,
            self.groups,
            self.ranks,
            self.metric_groups,
            self.group_metrics,
            self.fragments,
        )


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
    return assay.store_marker(store, "runs", "scores")


def battles_fingerprint(store: Store) -> tuple[Any, ...]:
    return assay.store_marker(store, "battles")


def eval_board(store: Store) -> EvalBoard:
    board = assay.leaderboard(store=store)
    cells = {}
    for row in board.rows:
        low, high = row.low, row.high
        if low is None and row.stderr is not None and not math.isnan(row.stderr):
            low, high = row.value - Z95 * row.stderr, row.value + Z95 * row.stderr  # rows from older code
        cells[(row.model, row.task)] = Cell(row.value, low, high, row.n, row.metric, row.method, row.clusters)
    tasks = tuple(sorted({r.task for r in board.rows}))
    return EvalBoard(
        tasks=tasks,
        models=tuple(m for m, _ in board.mean_win_rate),
        win_rate=dict(board.mean_win_rate),
        cells=cells,
        groups=tuple(sorted({task_group(t) for t in tasks})),
        ranks={r.model: RankCell(r.rank, r.low, r.high, r.group) for r in board.ranks},
        metric_groups=tuple((g, dict(rates)) for g, rates in board.groups),
        group_metrics=tuple((g, tuple(m for m in board.metrics if m.group == g)) for g, _ in board.groups),
    )


def arena_board(store: Store, sources: dict[str, int], *, source: str | None = None) -> dict[str, Any]:
    """Bradley-Terry ratings with 95% bootstrap intervals and the pairwise win fractions, as JSON.

    `source` keeps one batch of battles: the live votes ("arena-live"), an import, or a judge's verdicts;
    `sources` are the stored batches with their battle counts.
    """
    stored = sources.get(source, 0) if source is not None else sum(sources.values())
    if stored == 0:
        return {"battles": 0, "ratings": [], "heatmap": [], "notes": []}
    try:
        rated = assay.arena_ratings(source=source, matrices=True, store=store)
    except assay.RatingError as exc:  # e.g. a disconnected field, or a model that never lost
        return {"battles": stored, "ratings": [], "heatmap": [], "notes": [str(exc)]}
    except DatasetError:  # the battles were deleted since they were counted (an admin reset)
        return {"battles": 0, "ratings": [], "heatmap": [], "notes": []}
    group = rated.groups[0]
    return {
        **group.table.to_dict(),
        "heatmap": group.matrices.win_fraction_cells() if group.matrices else [],
        "battles": rated.battles,
    }


def finite(value: Any) -> Any:
    """NaN and infinities as None, through dicts and lists: the JSON API cannot carry them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def paired_comparison(store: Store, run_id: str, a: str, b: str) -> assay.Comparison:
    """Two models of one run, paired per task (names already checked against the run's models)."""
    return assay.compare(f"{run_id}:{a}", f"{run_id}:{b}", store=store)


def verdict_parts(
    row: assay.TaskComparison, names: tuple[str, str], alpha: float, tested: int
) -> tuple[str, dict[str, str]]:
    """The verdict as an i18n key and its values, so each language words it (names escaped on output)."""
    detectable = f"{row.detectable * row.scale:.1f}"
    if row.test == "none":
        return "cmp.cannot", {"n": str(row.shared)}
    if row.better is not None:
        worse = names[0] if row.better == names[1] else names[1]
        size, low, high = row.gap()
        return "cmp.better", {
            "better": row.better,
            "worse": worse,
            "size": f"{size:.1f}",
            "low": f"{low:.1f}",
            "high": f"{high:.1f}",
        }
    if not math.isfinite(row.detectable):
        return "cmp.too_small", {}
    if row.p_value < alpha and (row.low > 0 or row.high < 0):  # significant alone, not after Holm
        return "cmp.none_holm", {
            "tasks": str(tested),
            "p": f"{row.p_value:.3g}",
            "p_holm": f"{row.p_holm:.3g}",
            "detectable": detectable,
        }
    return "cmp.none", {"detectable": detectable}
