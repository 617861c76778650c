"""PairS: rank many candidates with O(N log N) pairwise judgements (merge sort over preferences).

The searches are pure generators: they yield a comparison request (first, second) and receive
P(first is better), the judge seeing `first` as answer A. `run_search` drives them with a plain
function (simulations, tests); `arun_search` with an async one (a real judge). Candidates are
indices 0..n-1; a search returns them best first.

- greedy: merge sort; each merge step takes the head the judge prefers (p >= 0.5 keeps the left).
- beam: within each merge, a beam over merge paths scored by mean log-probability. Where the judge
  is confident (p outside [0.5 - gap, 0.5 + gap]) only its choice is followed; where it is unsure
  both are, so a shaky judgement can be outvoted by the judgements that follow it.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Literal

Comparison = tuple[int, int]
Search = Generator[Comparison, float, list[int]]
SearchMethod = Literal["greedy", "beam"]
_EPS = 1e-6


def merge_sort_search(n: int) -> Search:
    """PairS-greedy over candidates 0..n-1."""
    return _sort(list(range(n)), None)


def beam_search(n: int, *, beam_size: int = 20, gap: float = 0.1) -> Search:
    """PairS-beam over candidates 0..n-1 (parameters checked now, not at the first comparison)."""
    if beam_size < 1 or not 0 <= gap <= 0.5:
        raise ValueError(f"beam_size must be >= 1 and gap in [0, 0.5] (got {beam_size}, {gap})")
    return _sort(list(range(n)), (beam_size, gap))


def _sort(items: list[int], beam: tuple[int, float] | None) -> Search:
    if len(items) <= 1:
        return items
    mid = len(items) // 2
    left = yield from _sort(items[:mid], beam)
    right = yield from _sort(items[mid:], beam)
    if beam is None:
        return (yield from _greedy_merge(left, right))
    return (yield from _beam_merge(left, right, *beam))


def _greedy_merge(left: list[int], right: list[int]) -> Search:
    merged: list[int] = []
    i = j = 0
    while i < len(left) and j < len(right):
        p = yield (left[i], right[j])
        if p >= 0.5:
            merged.append(left[i])
            i += 1
        else:
            merged.append(right[j])
            j += 1
    return merged + left[i:] + right[j:]


@dataclass(frozen=True)
class _Path:
    i: int
    j: int
    order: tuple[int, ...]
    log_prob: float = 0.0
    decisions: int = 0

    @property
    def score(self) -> float:
        return self.log_prob / self.decisions if self.decisions else 0.0


def _beam_merge(left: list[int], right: list[int], beam_size: int, gap: float) -> Search:
    probs: dict[tuple[int, int], float] = {}  # asked once per merge, shared by every path
    beam = [_Path(0, 0, ())]
    while any(p.i < len(left) and p.j < len(right) for p in beam):
        grown: list[_Path] = []
        for path in beam:
            if path.i == len(left) or path.j == len(right):
                grown.append(path)
                continue
            if (path.i, path.j) not in probs:
                probs[path.i, path.j] = yield (left[path.i], right[path.j])
            grown.extend(_extend(path, probs[path.i, path.j], left, right, gap))
        grown.sort(key=lambda p: -p.score)  # stable: ties keep the left-first path ahead
        beam = grown[:beam_size]
    best = beam[0]
    return list(best.order) + left[best.i :] + right[best.j :]


def _extend(path: _Path, p: float, left: list[int], right: list[int], gap: float) -> list[_Path]:
    out = []
    if p >= 0.5 - gap:  # left is the judge's choice, or it is unsure
        out.append(
            _Path(
                path.i + 1,
                path.j,
                (*path.order, left[path.i]),
                path.log_prob + math.log(max(p, _EPS)),
                path.decisions + 1,
            )
        )
    if p <= 0.5 + gap:
        out.append(
            _Path(
                path.i,
                path.j + 1,
                (*path.order, right[path.j]),
                path.log_prob + math.log(max(1.0 - p, _EPS)),
                path.decisions + 1,
            )
        )
    return out


def run_search(search: Search, prefer: Callable[[int, int], float]) -> list[int]:
    """Drive a search with a synchronous preference function."""
    try:
        request = next(search)
        while True:
            request = search.send(_checked(prefer(*request)))
    except StopIteration as done:
        return list(done.value)


async def arun_search(search: Search, prefer: Callable[[int, int], Awaitable[float]]) -> list[int]:
    """Drive a search with an async preference function (one judgement at a time)."""
    try:
        request = next(search)
        while True:
            request = search.send(_checked(await prefer(*request)))
    except StopIteration as done:
        return list(done.value)


def _checked(p: float) -> float:
    if not 0.0 <= p <= 1.0 or math.isnan(p):
        raise ValueError(f"a preference must be a probability in [0, 1], got {p}")
    return p


@dataclass
class PreferenceLog:
    """What a ranking cost: judge calls, and the distinct unordered pairs the search asked about."""

    calls: int = 0
    pairs: set[frozenset[int]] = field(default_factory=set)
    records: list[tuple[int, int, float]] = field(default_factory=list)

    @property
    def comparisons(self) -> int:
        return len(self.pairs)


def calibrated(
    prefer: Callable[[int, int], float], log: PreferenceLog, *, both_orders: bool
) -> Callable[[int, int], float]:
    """Count calls; with `both_orders`, average P(x over y) and 1 - P(y over x) to cancel position bias."""

    def one(first: int, second: int) -> float:
        log.calls += 1
        p = prefer(first, second)
        log.records.append((first, second, p))
        return p

    def wrapped(first: int, second: int) -> float:
        log.pairs.add(frozenset((first, second)))
        p = one(first, second)
        return (p + 1.0 - one(second, first)) / 2.0 if both_orders else p

    return wrapped


def acalibrated(
    prefer: Callable[[int, int], Awaitable[float]], log: PreferenceLog, *, both_orders: bool
) -> Callable[[int, int], Awaitable[float]]:
    """The async twin of `calibrated`."""

    async def one(first: int, second: int) -> float:
        log.calls += 1
        p = await prefer(first, second)
        log.records.append((first, second, p))
        return p

    async def wrapped(first: int, second: int) -> float:
        log.pairs.add(frozenset((first, second)))
        p = await one(first, second)
        return (p + 1.0 - await one(second, first)) / 2.0 if both_orders else p

    return wrapped


def make_search(method: SearchMethod, n: int, *, beam_size: int = 20, gap: float = 0.1) -> Search:
    if method == "greedy":
        return merge_sort_search(n)
    if method == "beam":
        return beam_search(n, beam_size=beam_size, gap=gap)
    raise ValueError(f"unknown PairS method {method!r} (greedy or beam)")


def merge_sort_worst_case(n: int) -> int:
    """Most comparisons top-down merge sort makes on n items: sum over merges of (size - 1)."""
    if n <= 1:
        return 0
    mid = n // 2
    return merge_sort_worst_case(mid) + merge_sort_worst_case(n - mid) + n - 1


def rank_with(
    prefer: Callable[[int, int], float],
    n: int,
    method: SearchMethod = "greedy",
    *,
    calibrate: bool = False,
    beam_size: int = 20,
    gap: float = 0.1,
) -> tuple[list[int], PreferenceLog]:
    """Best-first order of n candidates and the cost, with a synchronous preference function."""
    log = PreferenceLog()
    search = make_search(method, n, beam_size=beam_size, gap=gap)
    return run_search(search, calibrated(prefer, log, both_orders=calibrate)), log


async def arank_with(
    prefer: Callable[[int, int], Awaitable[float]],
    n: int,
    method: SearchMethod = "greedy",
    *,
    calibrate: bool = False,
    beam_size: int = 20,
    gap: float = 0.1,
) -> tuple[list[int], PreferenceLog]:
    log = PreferenceLog()
    search = make_search(method, n, beam_size=beam_size, gap=gap)
    return await arun_search(search, acalibrated(prefer, log, both_orders=calibrate)), log
