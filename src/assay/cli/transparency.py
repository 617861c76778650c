"""`assay transparency ...`: published editions, analyses, charts, and assessments of your own. Each
command is one call to `assay.api` and its printing."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from assay.api import (
    create_assessment,
    export_assessment,
    get_assessment,
    import_assessment,
    set_assessment_score,
    transparency_analysis,
    transparency_chart,
    transparency_import,
    transparency_indicators,
    transparency_scores,
)
from assay.cli.options import DbOpt, JsonOpt, console, emit_json

transparency_app = typer.Typer(
    no_args_is_help=True,
    help="Foundation Model Transparency Index: editions, analyses, charts, and assessments with evidence.",
)
assess_app = typer.Typer(no_args_is_help=True, help="Assess a developer: scores, evidence, rebuttals.")
transparency_app.add_typer(assess_app, name="assess")
EditionArg = Annotated[str, typer.Argument(help="2023, 2024, 2025 or an edition .json file.")]


def _table(title: str, columns: list[str], rows: list[list[object]]) -> None:
    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*[Text(f"{c:.1f}" if isinstance(c, float) else str(c)) for c in row])
    console.print(table)


@transparency_app.command("scores")
def scores(edition: EditionArg = "2024", as_json: JsonOpt = False) -> None:
    """Total per developer (of 100) and per domain."""
    found = transparency_scores(edition)
    if as_json:
        emit_json(found.to_dict())
        return
    _table(
        f"{found.title}: transparency scores",
        ["developer", "total", *found.domains],
        [[d.developer, d.total, *[d.points[n] for n in found.domains]] for d in found.developers],
    )


@transparency_app.command("analysis")
def analysis_cmd(
    edition: EditionArg = "2023",
    level: Annotated[str, typer.Option(help="domain | subdomain | dimension")] = "subdomain",
    compare: Annotated[str | None, typer.Option(help="Another edition: change per developer.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Mean % of available points per group, open vs closed, feasibility, change between editions."""
    found = transparency_analysis(edition, level=level, compare=compare)
    if as_json:
        emit_json(found.to_dict())
        return
    _table(
        f"{found.title}: mean % of available points per {level}",
        [level, "mean %"],
        [[k, v] for k, v in found.mean_percent.items()],
    )
    gap = found.open_closed
    if gap:
        console.print(
            f"open-weights developers: mean total {gap.open_mean_total:.1f}; closed: "
            f"{gap.closed_mean_total:.1f}; largest subdomain gaps: "
            + ", ".join(f"{s} {g:+.0f} pp" for s, g in gap.subdomain_gap[:3])
        )
    console.print(
        f"indicators satisfied by no developer: {len(found.feasibility['satisfied_by_none'])}; "
        f"by at least one: {len(found.feasibility['satisfied_by_some'])}"
    )
    if found.changes:
        _table(
            "change in total",
            ["developer", "before", "after", "change"],
            [[d, a, b, b - a] for d, a, b in found.changes],
        )


@transparency_app.command("indicators")
def indicators(
    indicator_set: Annotated[str, typer.Argument(help="fmti-v1 (2023, 2024) or fmti-2025.")] = "fmti-v1",
    as_json: JsonOpt = False,
) -> None:
    """The indicators of a set: id, domain, subdomain, name, our one-line description."""
    found = transparency_indicators(indicator_set)
    if as_json:
        emit_json([asdict(i) for i in found.indicators])
        return
    _table(
        found.title,
        ["id", "domain", "subdomain", "indicator"],
        [[i.id, i.domain, i.subdomain, i.name] for i in found.indicators],
    )


@transparency_app.command("import")
def import_cmd(
    scores_csv: Annotated[Path, typer.Argument(help="A scores CSV in the index's published layout.")],
    indicator_set: Annotated[str, typer.Option(help="The set its rows follow, in order.")] = "fmti-2025",
    name: Annotated[str, typer.Option(help="Edition name.")] = "custom",
    out: Annotated[Path, typer.Option("--out", "-o", help="Edition JSON to write.")] = Path("edition.json"),
) -> None:
    """Read an upstream scores file (BOM, Total row checked) into an edition file the other commands take."""
    edition = transparency_import(scores_csv, out, indicator_set=indicator_set, name=name)
    console.print(
        f"wrote {out}: {len(edition.developers)} developers, {len(edition.developers[0].scores)} indicators"
    )


@transparency_app.command("chart")
def chart(
    kind: Annotated[str, typer.Argument(help="heatmap | totals | open-closed | change")],
    edition: Annotated[str, typer.Option(help="Edition.")] = "2024",
    compare: Annotated[str, typer.Option(help="Earlier edition for `change`.")] = "2023",
    out: Annotated[Path, typer.Option("--out", "-o", help=".json (Vega-Lite), .html, .svg or .png")] = Path(
        "transparency.svg"
    ),
) -> None:
    """Save a chart: the Vega-Lite spec, or rendered with vl-convert."""
    transparency_chart(kind, edition=edition, compare=compare, out=out)
    console.print(f"wrote {out}")


@assess_app.command("create")
def assess_create(
    developer: Annotated[str, typer.Option(help="Developer assessed.")],
    model: Annotated[str, typer.Option(help="Flagship model assessed.")],
    assessor: Annotated[str, typer.Option(help="Who assesses.")],
    indicator_set: Annotated[str, typer.Option(help="fmti-2025 or fmti-v1.")] = "fmti-2025",
    db: DbOpt = None,
) -> None:
    """Start an assessment; prints its id."""
    console.print(create_assessment(developer, model, assessor, indicator_set=indicator_set, store=db))


@assess_app.command("set")
def assess_set(
    assessment_id: Annotated[str, typer.Argument(help="Assessment id.")],
    indicator: Annotated[str, typer.Argument(help="Indicator id (see `assay transparency indicators`).")],
    score: Annotated[int, typer.Argument(help="0 or 1.")],
    assessor: Annotated[str, typer.Option(help="Who scores.")],
    url: Annotated[list[str] | None, typer.Option("--url", help="Evidence link. Repeatable.")] = None,
    quote: Annotated[list[str] | None, typer.Option("--quote", help="Evidence quote. Repeatable.")] = None,
    justification: Annotated[str, typer.Option(help="Why this score.")] = "",
    rebuttal: Annotated[
        str | None, typer.Option(help="Record as the developer's rebuttal, with this reason.")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Score one indicator with evidence (or record a rebuttal that changes it)."""
    old = set_assessment_score(
        assessment_id,
        indicator,
        score,
        assessor=assessor,
        urls=url or (),
        quotes=quote or (),
        justification=justification,
        rebuttal=rebuttal,
        store=db,
    )
    console.print(f"{indicator}: {'-' if old is None else old} -> {score}")


@assess_app.command("show")
def assess_show(
    assessment_id: Annotated[str, typer.Argument()], db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Scores, evidence and history of an assessment."""
    data = get_assessment(assessment_id, store=db)
    if as_json:
        emit_json(data)
        return
    console.print(
        f"{data['developer']} / {data['model']} ({data['indicator_set']}): "
        f"{sum(s['score'] for s in data['scores'].values())} points, {len(data['scores'])} scored, "
        f"{len(data['history'])} changes"
    )
    _table(
        "scores",
        ["indicator", "score", "evidence", "assessor"],
        [[k, v["score"], len(v["evidence"]), v["assessor"]] for k, v in data["scores"].items()],
    )


@assess_app.command("export")
def assess_export(
    assessment_id: Annotated[str, typer.Argument()],
    out: Annotated[Path, typer.Option("--out", "-o", help=".json (full, re-importable) or .csv")],
    db: DbOpt = None,
) -> None:
    """Write an assessment to JSON (scores, evidence, history) or CSV (one row per indicator)."""
    export_assessment(assessment_id, out, store=db)
    console.print(f"wrote {out}")


@assess_app.command("import")
def assess_import(
    path: Annotated[Path, typer.Argument(help="An exported assessment .json")], db: DbOpt = None
) -> None:
    """Load an exported assessment into this store."""
    console.print(import_assessment(path, store=db))
