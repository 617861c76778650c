"""The Foundation Model Transparency Index through the API: published editions, scores, analyses and
charts, and assessments of your own kept in the store with evidence and history.

    import assay
    assay.transparency_scores("2024").to_frame()     # one row per developer: total and points per domain
    assay.transparency_analysis("2023", compare="2024").to_dict()
    assay.transparency_chart("heatmap", edition="2024", out="heatmap.svg")
    aid = assay.create_assessment("Acme", "acme-1", "me", store="audit.db")
    assay.set_assessment_score(aid, "upstream.data.data-size", 1, assessor="me",
                               urls=["https://acme.example/data"], store="audit.db")
    assay.get_assessment(aid, store="audit.db")       # scores, evidence and the history of changes

An edition is "2023", "2024", "2025" or an edition .json file written by `transparency_import`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from assay.api.charts import save_chart
from assay.api.stores import StoreLike, using_store
from assay.io import write_text_atomic
from assay.store.assessments import read_assessment
from assay.transparency import analysis, assessments, charts
from assay.transparency.analysis import Level, OpenClosedGap
from assay.transparency.model import (
    EDITIONS,
    Edition,
    IndicatorSet,
    TransparencyError,
    edition_to_json,
    load_edition,
    load_indicator_set,
)
from assay.transparency.upstream import read_score_file

if TYPE_CHECKING:
    import pandas as pd

PathLike = str | os.PathLike[str]
LEVELS = ("domain", "subdomain", "dimension")
CHARTS = ("heatmap", "totals", "open-closed", "change")


@dataclass(frozen=True)
class DeveloperTotal:
    developer: str
    total: int
    published_total: int | None  # the total the index printed, to check our sums against
    points: dict[str, int]  # group (domain) -> points


@dataclass(frozen=True)
class TransparencyScores:
    """Total per developer (of 100) and points per domain, best first."""

    edition: str
    title: str
    domains: tuple[str, ...]
    developers: tuple[DeveloperTotal, ...]

    def to_dict(self) -> dict[str, Any]:
        """What `assay transparency scores --json` prints."""
        rows = [
            {"developer": d.developer, "total": d.total, "published_total": d.published_total, **d.points}
            for d in self.developers
        ]
        return {"edition": self.edition, "developers": rows}

    def to_frame(self) -> pd.DataFrame:
        """One row per developer: developer, total, published_total, then one column per domain."""
        import pandas as pd

        columns = ["developer", "total", "published_total", *self.domains]
        return pd.DataFrame(self.to_dict()["developers"], columns=columns)


@dataclass(frozen=True)
class TransparencyAnalysis:
    edition: str
    title: str
    level: str
    mean_percent: dict[str, float]  # group -> mean over developers of its % of available points
    open_closed: OpenClosedGap | None  # None when the edition lacks open or closed developers
    feasibility: dict[str, list[str]]  # satisfied_by_none / satisfied_by_some -> indicator ids
    changes: list[tuple[str, int, int]] | None  # (developer, total before, total after)

    def to_dict(self) -> dict[str, Any]:
        """What `assay transparency analysis --json` prints."""
        return {
            "edition": self.edition,
            "level": self.level,
            "mean_percent": self.mean_percent,
            "open_closed": asdict(self.open_closed) if self.open_closed else None,
            "feasibility": {k: len(v) for k, v in self.feasibility.items()},
            "changes": self.changes,
        }


@dataclass(frozen=True)
class TransparencyOverview:
    """One edition as the dashboard shows it: totals, % per domain, and its charts."""

    edition: str
    title: str
    source: str
    license: str
    developers: tuple[dict[str, Any], ...]  # {"developer", "total", "domains": {domain: %}}, best first
    charts: tuple[tuple[str, dict[str, Any]], ...]  # (title, Vega-Lite spec)

    def to_dict(self) -> dict[str, Any]:
        """Totals and per-domain % (the JSON behind the dashboard's page; charts left out)."""
        keys = ("edition", "title", "source", "license")
        return {**{k: getattr(self, k) for k in keys}, "developers": list(self.developers)}


def transparency_editions() -> tuple[str, ...]:
    """The shipped editions, newest first."""
    return tuple(sorted(EDITIONS, reverse=True))


def transparency_edition(edition: PathLike = "2024") -> Edition:
    """An edition's raw scores: each developer's 0/1 per indicator."""
    return load_edition(edition)


def transparency_indicators(indicator_set: str = "fmti-v1") -> IndicatorSet:
    """The indicators of a set (fmti-v1 for 2023 and 2024, fmti-2025): id, domain, subdomain, name."""
    return load_indicator_set(indicator_set)


def transparency_scores(edition: PathLike = "2024") -> TransparencyScores:
    """Total per developer (of 100) and points per domain; `.to_frame()` for a DataFrame."""
    chosen = load_edition(edition)
    domains = analysis.breakdown(chosen, load_indicator_set(chosen.indicator_set), "domain")
    names = tuple(next(iter(domains.values())).keys()) if domains else ()
    rows = tuple(
        DeveloperTotal(
            name,
            total,
            chosen.developer(name).published_total,
            {k: v.points for k, v in domains[name].items()},
        )
        for name, total in analysis.totals(chosen)
    )
    return TransparencyScores(chosen.name, chosen.title, names, rows)


def transparency_analysis(
    edition: PathLike = "2023", *, level: str = "subdomain", compare: PathLike | None = None
) -> TransparencyAnalysis:
    """Mean % of available points per group (domain, subdomain or dimension), open vs closed,
    indicators no developer satisfies, and each developer's change since the `compare` edition."""
    if level not in LEVELS:
        raise TransparencyError(f"--level must be domain, subdomain or dimension, not {level!r}")
    chosen = load_edition(edition)
    indicators = load_indicator_set(chosen.indicator_set)
    try:
        gap: OpenClosedGap | None = analysis.open_closed(chosen, indicators)
    except TransparencyError:
        gap = None
    return TransparencyAnalysis(
        edition=chosen.name,
        title=chosen.title,
        level=level,
        mean_percent=analysis.group_means(chosen, indicators, cast(Level, level)),
        open_closed=gap,
        feasibility=analysis.feasibility(chosen),
        changes=analysis.changes(load_edition(compare), chosen) if compare else None,
    )


def transparency_chart(
    kind: str, *, edition: PathLike = "2024", compare: PathLike = "2023", out: PathLike | None = None
) -> dict[str, Any]:
    """A Vega-Lite spec: heatmap (developer x subdomain), totals, open-closed, or change (since
    `compare`). With `out` (.json, .html, .svg or .png) it is also saved there."""
    if kind not in CHARTS:
        raise TransparencyError(f"unknown chart {kind!r} (heatmap, totals, open-closed, change)")
    chosen = load_edition(edition)
    if kind == "totals":
        spec = charts.ranked_totals_spec(chosen)
    elif kind == "change":
        spec = charts.change_spec(load_edition(compare), chosen)
    else:
        indicators = load_indicator_set(chosen.indicator_set)
        make = charts.heatmap_spec if kind == "heatmap" else charts.open_closed_spec
        spec = make(chosen, indicators)
    if out is not None:
        save_chart(spec, out, what="--out", error=TransparencyError)
    return spec


def transparency_import(
    scores_csv: PathLike, out: PathLike, *, indicator_set: str = "fmti-2025", name: str = "custom"
) -> Edition:
    """Read a scores file in the index's published layout (BOM, Total row checked) and write it to
    `out` as an edition .json file that every function here takes."""
    chosen = read_score_file(
        Path(scores_csv),
        load_indicator_set(indicator_set),
        name=name,
        title=f"edition {name}",
        source=str(scores_csv),
        license="as published by its source",
    )
    text = json.dumps(edition_to_json(chosen), indent=1, ensure_ascii=False) + "\n"
    write_text_atomic(Path(out), text, error=TransparencyError)
    return chosen


def transparency_overview(edition: str = "2025") -> TransparencyOverview:
    """A shipped edition for the dashboard: totals, % per domain, and the charts (ranked totals,
    heatmap, open vs closed, and the change since the edition before when both use one indicator set)."""
    shipped = transparency_editions()
    if edition not in shipped:
        raise TransparencyError(f"unknown edition {edition!r}; one of {shipped}")
    chosen = load_edition(edition)
    indicators = load_indicator_set(chosen.indicator_set)
    domains = analysis.breakdown(chosen, indicators, "domain")
    developers = tuple(
        {
            "developer": name,
            "total": total,
            "domains": {d: round(g.percent, 1) for d, g in domains[name].items()},
        }
        for name, total in analysis.totals(chosen)
    )
    shown = [
        ("ranked totals", charts.ranked_totals_spec(chosen)),
        ("developer x subdomain", charts.heatmap_spec(chosen, indicators)),
        ("open vs closed weights", charts.open_closed_spec(chosen, indicators)),
    ]
    earlier = shipped.index(edition) + 1
    if earlier < len(shipped):
        before = load_edition(shipped[earlier])
        if before.indicator_set == chosen.indicator_set:  # totals on different sets do not compare
            shown.append((f"change from {before.name}", charts.change_spec(before, chosen)))
    return TransparencyOverview(
        chosen.name, chosen.title, chosen.source, chosen.license, developers, tuple(shown)
    )


# -- assessments of your own, kept in the store -------------------------------------------------
def create_assessment(
    developer: str, model: str, assessor: str, *, indicator_set: str = "fmti-2025", store: StoreLike = None
) -> str:
    """Start assessing `developer`'s flagship `model` against an indicator set; returns its id."""
    with using_store(store) as opened:
        return assessments.create(
            opened, developer=developer, model=model, indicator_set=indicator_set, assessor=assessor
        )


def set_assessment_score(
    assessment_id: str,
    indicator: str,
    score: int,
    *,
    assessor: str,
    urls: Sequence[str] = (),
    quotes: Sequence[str] = (),
    justification: str = "",
    rebuttal: str | None = None,
    store: StoreLike = None,
) -> int | None:
    """Score one indicator 0 or 1 with evidence (links, quotes); with `rebuttal` (its reason) the
    change is recorded as the developer's rebuttal. Returns the previous score (None: first)."""
    evidence = [{"url": u} for u in urls] + [{"quote": q} for q in quotes]
    with using_store(store) as opened:
        return assessments.set_score(
            opened,
            assessment_id,
            indicator,
            score,
            assessor=assessor,
            evidence=evidence,
            justification=justification,
            rebuttal=rebuttal,
        )


def get_assessment(assessment_id: str, *, store: StoreLike = None) -> dict[str, Any]:
    """An assessment: developer, model, indicator_set, `scores` (indicator -> score, evidence,
    justification, assessor) and `history` (every change, oldest first)."""
    with using_store(store) as opened:
        return read_assessment(opened, assessment_id)


def assessment_history(assessment_id: str, *, store: StoreLike = None) -> list[dict[str, Any]]:
    """Every change to an assessment (scores, edits, rebuttals with their reasons), oldest first."""
    return list(get_assessment(assessment_id, store=store)["history"])


def export_assessment(assessment_id: str, out: PathLike, *, store: StoreLike = None) -> Path:
    """Write an assessment to .json (full, re-importable) or .csv (one row per indicator)."""
    target = Path(out)
    suffix = target.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise TransparencyError(f"--out must end in .json or .csv, not {target.name}")
    with using_store(store) as opened:
        export = assessments.export_json if suffix == ".json" else assessments.export_csv
        content = export(opened, assessment_id)
    return write_text_atomic(target, content, error=TransparencyError)


def import_assessment(path: PathLike, *, store: StoreLike = None) -> str:
    """Load an exported assessment (.json: same id, scores, evidence and history); returns its id."""
    with using_store(store) as opened:
        return assessments.import_json(opened, Path(path))
