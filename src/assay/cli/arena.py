"""`assay arena ...`: import arena battles and publish ratings with confidence intervals.

Each command is one call of the Python API (`assay.arena_import`, `assay.arena_sources`,
`assay.arena_ratings`); this module only reads options and prints."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

import assay
from assay.cli.options import DbOpt, JsonOpt, console, emit_json

if TYPE_CHECKING:
    from assay.api.arena import RatingTable

arena_app = typer.Typer(no_args_is_help=True, help="Arena battles: import them, rate the models.")

FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        help="auto | fastchat (JSON/JSONL) | preference "
        "(parquet/CSV with winner_model_a/winner_model_b/winner_tie).",
    ),
]


@arena_app.command("import")
def import_cmd(
    path: Annotated[
        Path,
        typer.Argument(
            help="Battle file: FastChat clean-battle JSON/JSONL, or arena-human-preference parquet/CSV."
        ),
    ],
    fmt: FormatOpt = "auto",
    source: Annotated[str | None, typer.Option(help="Name for this batch (default: the file name).")] = None,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="Leave out rows with an unknown winner or a self-battle instead of stopping.",
        ),
    ] = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Store battles from a file (importing the same file again adds nothing)."""
    result = assay.arena_import(path, format=fmt, source=source, skip_invalid=skip_invalid, store=db)
    if as_json:
        emit_json(result.to_dict())
        return
    skipped = result.skipped_invalid
    console.print(
        f"{result.added:,} new battles from {path} stored as source {result.source!r} in {result.store} "
        f"({result.already_stored:,} already stored"
        + (f", {skipped:,} invalid rows left out)" if skipped else ")")
    )


@arena_app.command("sources")
def sources_cmd(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Stored battle sources and their battle counts."""
    counts = assay.arena_sources(store=db)
    if as_json:
        emit_json(counts)
    elif not counts:
        console.print("no battles stored yet: `assay arena import FILE`")
    else:
        for name, n in counts.items():
            console.print(f"{n:>10,}  {name}")


@arena_app.command("ratings")
def ratings_cmd(
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Rate this battle file directly instead of the stored battles."),
    ] = None,
    fmt: FormatOpt = "auto",
    source: Annotated[str | None, typer.Option(help="Only stored battles of this source.")] = None,
    method: Annotated[str, typer.Option(help="bt (Bradley-Terry) | elo (online Elo).")] = "bt",
    ci: Annotated[str, typer.Option(help="bootstrap | sandwich (BT only) | none.")] = "bootstrap",
    rounds: Annotated[int, typer.Option(help="Bootstrap rounds.", min=2)] = 100,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    level: Annotated[float, typer.Option(help="Confidence level of the intervals.")] = 0.95,
    anchor: Annotated[
        str, typer.Option(help="MODEL=VALUE pins a model's rating; a number sets the mean rating.")
    ] = "1000",
    prior: Annotated[
        float,
        typer.Option(
            help="Gaussian prior precision on BT strengths (0 = plain maximum likelihood).", min=0.0
        ),
    ] = 0.0,
    elo_k: Annotated[float, typer.Option("--elo-k", help="K factor of online Elo.")] = 4.0,
    style: Annotated[
        bool,
        typer.Option(
            "--style",
            help="Control for answer style (length, headers, lists, bold) and report its coefficients.",
        ),
    ] = False,
    anonymous_only: Annotated[bool, typer.Option("--anonymous-only", help="Only anonymous battles.")] = False,
    language: Annotated[
        list[str] | None, typer.Option(help="Only battles in this language. Repeatable.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only battles on or after this UTC date (YYYY-MM-DD).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Only battles before this UTC date (YYYY-MM-DD).")] = None,
    daily_cap: Annotated[
        int | None, typer.Option(help="Keep at most this many votes per judge per UTC day.", min=1)
    ] = None,
    min_battles: Annotated[int, typer.Option(help="Leave out models with fewer battles.", min=0)] = 0,
    drop_outlier_judges: Annotated[
        bool,
        typer.Option(
            "--drop-outlier-judges", help="Leave out judges who vote against the consensus far beyond chance."
        ),
    ] = False,
    outlier_z: Annotated[float, typer.Option(help="z below which a judge is an outlier.")] = 4.0,
    by_component: Annotated[
        bool,
        typer.Option(
            "--by-component", help="When groups of models never met, rate each group on its own scale."
        ),
    ] = False,
    matrices: Annotated[
        bool,
        typer.Option(
            "--matrices",
            help="Add pairwise battle counts, empirical "
            "win fractions and predicted win probabilities to the JSON.",
        ),
    ] = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also write the ratings as JSON to this file.")
    ] = None,
) -> None:
    """Ratings with confidence intervals and ranks from arena battles."""
    try:
        result = assay.arena_ratings(
            file,
            format=fmt,
            source=source,
            method=method,
            ci=ci,
            rounds=rounds,
            seed=seed,
            level=level,
            anchor=anchor,
            prior=prior,
            elo_k=elo_k,
            style=style,
            anonymous_only=anonymous_only,
            languages=tuple(language or ()),
            since=since,
            until=until,
            daily_cap=daily_cap,
            min_battles=min_battles,
            drop_outlier_judges=drop_outlier_judges,
            outlier_z=outlier_z,
            by_component=by_component,
            matrices=matrices,
            store=db,
        )
    except assay.DisconnectedComparisonError as exc:
        raise assay.DisconnectedComparisonError(f"{exc} (--by-component)", exc.components) from None
    if out is not None:
        result.save(out)
    if as_json:
        emit_json(result.to_dict())
        return
    for note in result.filters:
        console.print(f"[dim]{note}[/dim]")
    title = f"{_title(method, style)} — {result.battles:,} battles"
    groups = result.groups
    for i, group in enumerate(groups, start=1):
        _print_table(group.table, title if len(groups) == 1 else f"{title}, group {i} of {len(groups)}")
    if out is not None:
        console.print(f"wrote {out}")


def _title(method: str, style: bool) -> str:
    if method == "elo":
        return "online Elo"
    return "Bradley-Terry, style-controlled" if style else "Bradley-Terry"


def _print_table(table: RatingTable, title: str) -> None:
    view = Table(title=title)
    view.add_column("rank", justify="right")
    view.add_column("model")
    view.add_column("rating", justify="right")
    if table.interval != "none":
        view.add_column(f"{table.level:.0%} CI ({table.interval})", justify="right")
    view.add_column("battles", justify="right")
    for row in table.rows:
        cells: list[str | Text] = [str(row.rank), Text(row.model), f"{row.rating:.1f}"]
        if table.interval != "none":
            cells.append(f"+{row.upper - row.rating:.1f} / -{row.rating - row.lower:.1f}")
        cells.append(f"{row.battles:,}")
        view.add_row(*cells)
    console.print(view)
    for name, c in table.extra.get("style_coefficients", {}).items():
        console.print(f"style {name:8s} {c['coefficient']:+.4f}  [{c['lower']:+.4f}, {c['upper']:+.4f}]")
    for note in table.notes:
        console.print(f"[dim]note: {note}[/dim]")
