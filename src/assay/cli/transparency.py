"""`assay transparency ...`: published editions, analyses, charts, and assessments of your own."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from assay.cli.output import emit_json
from assay.store import Store

transparency_app = typer.Typer(
    no_args_is_help=True,
    help="Foundation Model Transparency Index: editions, analyses, charts, and assessments with evidence.",
)
assess_app = typer.Typer(no_args_is_help=True, help="Assess a developer: scores, evidence, rebuttals.")
transparency_app.add_typer(assess_app, name="assess")
console = Console()
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
DbOpt = Annotated[str | None, typer.Option("--db", help="Results store (path or URL).")]
EditionArg = Annotated[str, typer.Argument(help="2023, 2024, 2025 or an edition .json file.")]


def _edition(name: str):  # type: ignore[no-untyped-def]
    from assay.transparency import load_edition, load_indicator_set

    edition = load_edition(name)
    return edition, load_indicator_set(edition.indicator_set)


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
    from assay.transparency.analysis import breakdown, totals

    ed, ind = _edition(edition)
    domains = breakdown(ed, ind, "domain")
    data = [
        {
            "developer": d,
            "total": t,
            "published_total": ed.developer(d).published_total,
            **{k: v.points for k, v in domains[d].items()},
        }
        for d, t in totals(ed)
    ]
    if as_json:
        emit_json({"edition": ed.name, "developers": data})
        return
    names = list(next(iter(domains.values())).keys())
    _table(
        f"{ed.title}: transparency scores",
        ["developer", "total", *names],
        [[r["developer"], r["total"], *[r[n] for n in names]] for r in data],
    )


@transparency_app.command("analysis")
def analysis_cmd(
    edition: EditionArg = "2023",
    level: Annotated[str, typer.Option(help="domain | subdomain | dimension")] = "subdomain",
    compare: Annotated[str | None, typer.Option(help="Another edition: change per developer.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Mean % of available points per group, open vs closed, feasibility, change between editions."""
    from assay.transparency import analysis
    from assay.transparency.model import TransparencyError

    if level not in ("domain", "subdomain", "dimension"):
        raise TransparencyError(f"--level must be domain, subdomain or dimension, not {level!r}")
    ed, ind = _edition(edition)
    means = analysis.group_means(ed, ind, level)  # type: ignore[arg-type]
    feas = analysis.feasibility(ed)
    try:
        gap = asdict(analysis.open_closed(ed, ind))
    except TransparencyError:
        gap = None
    change = analysis.changes(_edition(compare)[0], ed) if compare else None
    if as_json:
        emit_json(
            {
                "edition": ed.name,
                "level": level,
                "mean_percent": means,
                "open_closed": gap,
                "feasibility": {k: len(v) for k, v in feas.items()},
                "changes": change,
            }
        )
        return
    _table(
        f"{ed.title}: mean % of available points per {level}",
        [level, "mean %"],
        [[k, v] for k, v in means.items()],
    )
    if gap:
        console.print(
            f"open-weights developers: mean total {gap['open_mean_total']:.1f}; closed: "
            f"{gap['closed_mean_total']:.1f}; largest subdomain gaps: "
            + ", ".join(f"{s} {g:+.0f} pp" for s, g in gap["subdomain_gap"][:3])
        )
    console.print(
        f"indicators satisfied by no developer: {len(feas['satisfied_by_none'])}; "
        f"by at least one: {len(feas['satisfied_by_some'])}"
    )
    if change:
        _table(
            "change in total",
            ["developer", "before", "after", "change"],
            [[d, a, b, b - a] for d, a, b in change],
        )


@transparency_app.command("indicators")
def indicators(
    indicator_set: Annotated[str, typer.Argument(help="fmti-v1 (2023, 2024) or fmti-2025.")] = "fmti-v1",
    as_json: JsonOpt = False,
) -> None:
    """The indicators of a set: id, domain, subdomain, name, our one-line description."""
    from assay.transparency import load_indicator_set

    ind = load_indicator_set(indicator_set)
    if as_json:
        emit_json([asdict(i) for i in ind.indicators])
        return
    _table(
        ind.title,
        ["id", "domain", "subdomain", "indicator"],
        [[i.id, i.domain, i.subdomain, i.name] for i in ind.indicators],
    )


@transparency_app.command("import")
def import_cmd(
    scores_csv: Annotated[Path, typer.Argument(help="A scores CSV in the index's published layout.")],
    indicator_set: Annotated[str, typer.Option(help="The set its rows follow, in order.")] = "fmti-2025",
    name: Annotated[str, typer.Option(help="Edition name.")] = "custom",
    out: Annotated[Path, typer.Option("--out", "-o", help="Edition JSON to write.")] = Path("edition.json"),
) -> None:
    """Read an upstream scores file (BOM, Total row checked) into an edition file the other commands take."""
    from assay.transparency import load_indicator_set
    from assay.transparency.model import edition_to_json
    from assay.transparency.upstream import read_score_file

    ed = read_score_file(
        scores_csv,
        load_indicator_set(indicator_set),
        name=name,
        title=f"edition {name}",
        source=str(scores_csv),
        license="as published by its source",
    )
    _write(out, json.dumps(edition_to_json(ed), indent=1, ensure_ascii=False) + "\n")
    console.print(f"wrote {out}: {len(ed.developers)} developers, {len(ed.developers[0].scores)} indicators")


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
    from assay.transparency import charts
    from assay.transparency.model import TransparencyError

    ed, ind = _edition(edition)
    makers = {
        "heatmap": lambda: charts.heatmap_spec(ed, ind),
        "totals": lambda: charts.ranked_totals_spec(ed),
        "open-closed": lambda: charts.open_closed_spec(ed, ind),
        "change": lambda: charts.change_spec(_edition(compare)[0], ed),
    }
    if kind not in makers:
        raise TransparencyError(f"unknown chart {kind!r} (heatmap, totals, open-closed, change)")
    save_spec(makers[kind](), out)
    console.print(f"wrote {out}")


def _write(out: Path, content: str | bytes) -> None:
    """Write a user-named file (its folder made if missing); a failure is one clear line."""
    from assay.transparency.model import TransparencyError

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            out.write_bytes(content)
        else:
            out.write_text(content, encoding="utf-8")
    except FileExistsError:
        raise TransparencyError(f"cannot write {out}: a file stands where its folder should be") from None
    except OSError as exc:
        raise TransparencyError(f"cannot write {out}: {exc.strerror}") from None


def save_spec(spec: dict[str, object], out: Path) -> None:
    from assay.transparency.model import TransparencyError

    suffix = out.suffix.lower()
    if suffix not in (".json", ".svg", ".png", ".html"):
        raise TransparencyError(f"--out must end in .json, .svg, .png or .html, not {out.name}")
    if out.is_dir():
        raise TransparencyError(f"cannot write {out}: it is a directory")
    if suffix == ".json":
        _write(out, json.dumps(spec, indent=1))
        return
    import vl_convert as vlc

    if suffix == ".svg":
        _write(out, vlc.vegalite_to_svg(spec))
    elif suffix == ".png":
        _write(out, vlc.vegalite_to_png(spec, scale=2))
    else:
        _write(out, vlc.vegalite_to_html(spec, bundle=True))


@assess_app.command("create")
def assess_create(
    developer: Annotated[str, typer.Option(help="Developer assessed.")],
    model: Annotated[str, typer.Option(help="Flagship model assessed.")],
    assessor: Annotated[str, typer.Option(help="Who assesses.")],
    indicator_set: Annotated[str, typer.Option(help="fmti-2025 or fmti-v1.")] = "fmti-2025",
    db: DbOpt = None,
) -> None:
    """Start an assessment; prints its id."""
    from assay.transparency import assessments

    with Store.open(db) as store:
        console.print(
            assessments.create(
                store, developer=developer, model=model, indicator_set=indicator_set, assessor=assessor
            )
        )


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
    from assay.transparency import assessments

    evidence = [{"url": u} for u in url or []] + [{"quote": q} for q in quote or []]
    with Store.open(db) as store:
        old = assessments.set_score(
            store,
            assessment_id,
            indicator,
            score,
            assessor=assessor,
            evidence=evidence,
            justification=justification,
            rebuttal=rebuttal,
        )
    console.print(f"{indicator}: {'-' if old is None else old} -> {score}")


@assess_app.command("show")
def assess_show(
    assessment_id: Annotated[str, typer.Argument()], db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Scores, evidence and history of an assessment."""
    from assay.store.assessments import read_assessment

    with Store.open(db) as store:
        data = read_assessment(store, assessment_id)
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
    from assay.transparency import assessments
    from assay.transparency.model import TransparencyError

    if out.suffix.lower() not in (".json", ".csv"):
        raise TransparencyError(f"--out must end in .json or .csv, not {out.name}")
    with Store.open(db) as store:
        if out.suffix.lower() == ".json":
            content = assessments.export_json(store, assessment_id)
        else:
            content = assessments.export_csv(store, assessment_id)
    _write(out, content)
    console.print(f"wrote {out}")


@assess_app.command("import")
def assess_import(
    path: Annotated[Path, typer.Argument(help="An exported assessment .json")], db: DbOpt = None
) -> None:
    """Load an exported assessment into this store."""
    from assay.transparency import assessments

    with Store.open(db) as store:
        console.print(assessments.import_json(store, path))
