"""Scores and comparisons over an edition (pure functions: editions in, numbers out)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from assay.transparency.model import DeveloperScores, Edition, IndicatorSet, TransparencyError

Level = Literal["domain", "subdomain", "dimension"]


@dataclass(frozen=True)
class GroupScore:
    points: int
    available: int

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.available if self.available else 0.0


def totals(edition: Edition) -> list[tuple[str, int]]:
    """(developer, total points), best first; ties keep the edition's order."""
    return sorted(((d.developer, d.total) for d in edition.developers), key=lambda x: -x[1])


def _group_of(indicators: IndicatorSet, level: Level) -> dict[str, str | None]:
    if level == "dimension" and not any(i.dimension for i in indicators.indicators):
        raise TransparencyError(f"indicator set {indicators.name} has no mapping to the 2023 dimensions")
    return {i.id: getattr(i, level) for i in indicators.indicators}


def breakdown(edition: Edition, indicators: IndicatorSet, level: Level) -> dict[str, dict[str, GroupScore]]:
    """developer -> group (domain, subdomain or dimension) -> points of available, in set order."""
    group_of = _group_of(indicators, level)
    order = list(dict.fromkeys(g for g in group_of.values() if g))
    out: dict[str, dict[str, GroupScore]] = {}
    for dev in edition.developers:
        points: dict[str, int] = defaultdict(int)
        available: dict[str, int] = defaultdict(int)
        for indicator_id, value in dev.scores.items():
            group = group_of.get(indicator_id)
            if group:
                points[group] += value
                available[group] += 1
        out[dev.developer] = {g: GroupScore(points[g], available[g]) for g in order}
    return out


def group_means(edition: Edition, indicators: IndicatorSet, level: Level) -> dict[str, float]:
    """Mean over developers of each group's % of available points."""
    table = breakdown(edition, indicators, level)
    groups = list(next(iter(table.values())).keys()) if table else []
    return {g: sum(row[g].percent for row in table.values()) / len(table) for g in groups}


def indicator_means(edition: Edition) -> dict[str, float]:
    """Share of developers that satisfy each indicator."""
    ids = list(edition.developers[0].scores) if edition.developers else []
    n = len(edition.developers)
    return {i: sum(d.scores.get(i, 0) for d in edition.developers) / n for i in ids}


def feasibility(edition: Edition) -> dict[str, list[str]]:
    """Indicators no developer satisfies, and those at least one does (so they are feasible today)."""
    means = indicator_means(edition)
    return {
        "satisfied_by_none": [i for i, m in means.items() if m == 0],
        "satisfied_by_some": [i for i, m in means.items() if m > 0],
    }


@dataclass(frozen=True)
class OpenClosedGap:
    open_mean_total: float
    closed_mean_total: float
    open_developers: tuple[str, ...]
    closed_developers: tuple[str, ...]
    subdomain_gap: tuple[tuple[str, float], ...]  # (subdomain, open % - closed %), largest gap first


def open_closed(edition: Edition, indicators: IndicatorSet) -> OpenClosedGap:
    groups: dict[bool, list[DeveloperScores]] = {True: [], False: []}
    for dev in edition.developers:
        if dev.open_weights is not None:
            groups[dev.open_weights].append(dev)
    if not groups[True] or not groups[False]:
        raise TransparencyError(
            f"edition {edition.name}: open-vs-closed needs developers of both kinds "
            "(set open_weights in the edition file)"
        )
    table = breakdown(edition, indicators, "subdomain")
    subdomains = list(next(iter(table.values())).keys())

    def mean_pct(devs: list[DeveloperScores], sub: str) -> float:
        return sum(table[d.developer][sub].percent for d in devs) / len(devs)

    gaps = sorted(
        ((s, mean_pct(groups[True], s) - mean_pct(groups[False], s)) for s in subdomains),
        key=lambda x: -abs(x[1]),
    )
    return OpenClosedGap(
        open_mean_total=sum(d.total for d in groups[True]) / len(groups[True]),
        closed_mean_total=sum(d.total for d in groups[False]) / len(groups[False]),
        open_developers=tuple(d.developer for d in groups[True]),
        closed_developers=tuple(d.developer for d in groups[False]),
        subdomain_gap=tuple(gaps),
    )


def _key(name: str) -> str:
    # "Stability AI" (2023) and "Stability" (2024) are one developer.
    return name.strip().lower().removesuffix(" ai")


def changes(before: Edition, after: Edition) -> list[tuple[str, int, int]]:
    """(developer, total before, total after) for developers scored in both editions, largest gain first."""
    earlier = {_key(d.developer): d for d in before.developers}
    out = [
        (d.developer, earlier[_key(d.developer)].total, d.total)
        for d in after.developers
        if _key(d.developer) in earlier
    ]
    return sorted(out, key=lambda x: -(x[2] - x[1]))
