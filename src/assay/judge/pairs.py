"""PairS: rank many candidates with O(N log N) pairwise judgements (merge sort over preferences).

The searches are pure generators: they yield a comparison request (first, second) and receive
P(first is better), the judge seeing `first` as answer A. `run_search` drives them with a plain
function (simulations, tests); `arun_search` with an async one (a real judge). Candidates are
indices 0..n-1; a search returns them best first.

- greedy: merge sort; each merge step takes the head the judge prefers (p >= 0.5 keeps the left).
- beam: within each merge, a beam over merge paths. Where the judge is confident (p outside
  [0.5 - gap, 0.5 + gap]) only its choice is followed; where it is unsure both are. Paths are ranked
  by the likelihood of the order they imply under all the judgements asked in the merge so far (by
  any path), so a shaky judgement can be outvoted by the others. With a judge that is never wrong,
  only the true order agrees with every judgement, so it stays first in the beam.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field, replace
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
    """A partial merge: left[:i] and right[:j] placed, in `order`.

    `right_before[a]` counts the right items placed before left item a (a < i), which fixes how
    left a stands against every right item: above right b exactly when right_before[a] <= b.
    `penalty` is the log-likelihood ratio by which the judgements asked so far in this merge
    disagree with the pairs this path has decided (0 when it agrees with all of them).
    """

    i: int
    j: int
    order: tuple[int, ...]
    right_before: tuple[int, ...] = ()
    penalty: float = 0.0

    def left_above(self, a: int, b: int) -> bool | None:
        """Whether this path puts left a above right b; None while it has not decided that pair."""
        if a < self.i:
            return self.right_before[a] <= b
        if b < self.j:
            return False
        return None


def _cost(p: float, left_above: bool) -> float:
    """Log of how much likelier the judge finds the other outcome than this one: 0 if it agrees."""
    this, other = (p, 1.0 - p) if left_above else (1.0 - p, p)
    return max(0.0, math.log(max(other, _EPS)) - math.log(max(this, _EPS)))


def _beam_merge(left: list[int], right: list[int], beam_size: int, gap: float) -> Search:
    """Beam search over merge paths, ranked by the likelihood of the merged order.

    A path is scored against every judgement asked in this merge (by any path) whose pair it has
    decided, not only against the judgements along its own way: the decisions along different paths
    are about different pairs, so their products are not comparable (a path that branches away from
    the judge early can meet easier comparisons later, or run out of comparisons sooner).
    """
    asked: dict[tuple[int, int], float] = {}  # (left index, right index) -> P(left is better)
    beam = [_Path(0, 0, ())]
    while any(p.i < len(left) and p.j < len(right) for p in beam):
        new: list[tuple[int, int]] = []
        for path in beam:
            if path.i < len(left) and path.j < len(right) and (path.i, path.j) not in asked:
                asked[path.i, path.j] = yield (left[path.i], right[path.j])
                new.append((path.i, path.j))
        beam = [_charge(path, new, asked) for path in beam]
        grown: list[_Path] = []
        for path in beam:
            if path.i == len(left) or path.j == len(right):
                grown.append(path)
            else:
                grown.extend(_extend(path, asked, left, right, gap))
        grown.sort(key=lambda p: p.penalty)  # stable: ties keep the left-first path ahead
        beam = grown[:beam_size]
    best = beam[0]
    return list(best.order) + left[best.i :] + right[best.j :]


def _charge(path: _Path, new: list[tuple[int, int]], asked: dict[tuple[int, int], float]) -> _Path:
    """Add to a path's penalty the judgements just asked about pairs it has already decided."""
    extra = 0.0
    for a, b in new:
        above = path.left_above(a, b)
        if above is not None:
            extra += _cost(asked[a, b], above)
    return replace(path, penalty=path.penalty + extra) if extra else path


def _extend(
    path: _Path, asked: dict[tuple[int, int], float], left: list[int], right: list[int], gap: float
) -> list[_Path]:
    """The paths one step on: the judge's choice, and the other one too where it is unsure.

    Placing left i decides it is above right j.. (placing right j: above left i..); the judgements
    already asked about those pairs are charged now.
    """
    i, j = path.i, path.j
    p = asked[i, j]
    out = []
    if p >= 0.5 - gap:  # left is the judge's choice, or it is unsure
        cost = sum(_cost(asked[i, b], True) for b in range(j, len(right)) if (i, b) in asked)
        out.append(_Path(i + 1, j, (*path.order, left[i]), (*path.right_before, j), path.penalty + cost))
    if p <= 0.5 + gap:
        cost = sum(_cost(asked[a, j], False) for a in range(i, len(left)) if (a, j) in asked)
        out.append(_Path(i, j + 1, (*path.order, right[j]), path.right_before, path.penalty + cost))
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
