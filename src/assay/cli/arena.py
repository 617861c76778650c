"""`assay arena ...`: import arena battles and publish ratings with confidence intervals."""

from __future__ import annotations

import calendar
import json
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from assay.cli.output import emit_json
from assay.core.errors import ConfigError, DatasetError
from assay.store import Store

if TYPE_CHECKING:  # the heavy libraries load only when a command runs
    import pandas as pd

arena_app = typer.Typer(no_args_is_help=True, help="Arena battles: import them, rate the models.")
console = Console()
err = Console(stderr=True)

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="SQLite file or postgresql:// URL (default: $ASSAY_DB or the user data dir)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
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
    from assay.store.battles import put_battles

    battles = _read(path, fmt, skip_invalid)
    name = source or path.name
    with Store.open(db) as store:
        added = put_battles(store, battles, source=name)
        where = store.display_url
    skipped = int(battles.attrs.get("skipped", 0))
    result = {
        "source": name,
        "read": len(battles),
        "added": added,
        "already_stored": len(battles) - added,
        "skipped_invalid": skipped,
    }
    if as_json:
        emit_json(result)
        return
    console.print(
        f"{added:,} new battles from {path} stored as source {name!r} in {where} "
        f"({len(battles) - added:,} already stored"
        + (f", {skipped:,} invalid rows left out)" if skipped else ")")
    )


@arena_app.command("sources")
def sources_cmd(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Stored battle sources and their battle counts."""
    from assay.store.battles import battle_sources

    with Store.open(db) as store:
        counts = battle_sources(store)
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
    from assay.rank.arena_filters import BattleFilter, apply_filters, drop_judges, outlier_judges

    if method not in ("bt", "elo"):
        raise ConfigError(f"--method must be bt or elo, not {method!r}")
    if ci not in ("bootstrap", "sandwich", "none"):
        raise ConfigError(f"--ci must be bootstrap, sandwich or none, not {ci!r}")
    if method == "elo" and (ci == "sandwich" or style):
        raise ConfigError("online Elo has no sandwich intervals or style control; use --method bt")
    if not 0 < level < 1:
        raise ConfigError(f"--level must be between 0 and 1, got {level}")

    battles = _read(file, fmt, False) if file is not None else _stored(db, source)
    total = len(battles)
    spec = BattleFilter(
        anonymous_only=anonymous_only,
        languages=tuple(language or ()),
        since=_utc_day(since, "--since"),
        until=_utc_day(until, "--until"),
        daily_vote_cap=daily_cap,
        min_battles=min_battles,
    )
    battles, notes = apply_filters(battles, spec)
    if drop_outlier_judges:
        judges = outlier_judges(battles, z_threshold=outlier_z)
        before = len(battles)
        battles = drop_judges(battles, judges)
        notes.append(f"outlier judges: {len(judges)} left out with {before - len(battles):,} battles")
    if battles.empty:
        after = " after the filters" if notes else ""
        raise DatasetError(f"no battles left to rate (of {total:,}{after})")

    groups = _groups(battles, by_component)
    tables = [
        _rate(
            group,
            method=method,
            ci=ci,
            rounds=rounds,
            seed=seed,
            level=level,
            anchor=anchor,
            prior=prior,
            elo_k=elo_k,
            style=style,
        )
        for group in groups
    ]
    payload: dict[str, Any] = {"battles": len(battles), "battles_read": total, "filters": notes}
    dicts = [t.to_dict() for t in tables]
    if matrices:
        for table_dict, table, group in zip(dicts, tables, groups, strict=True):
            table_dict["matrices"] = _matrices(group, table)
    if len(dicts) == 1:
        payload.update(dicts[0])
    else:
        payload["components"] = dicts
    if out is not None:
        _write_json(out, payload)
    if as_json:
        emit_json(payload)
        return
    for note in notes:
        console.print(f"[dim]{note}[/dim]")
    for i, table in enumerate(tables, start=1):
        title = f"{_title(method, style)} — {len(battles):,} battles"
        _print_table(table, title if len(tables) == 1 else f"{title}, group {i} of {len(tables)}")
    if out is not None:
        console.print(f"wrote {out}")


def _read(path: Path, fmt: str, skip_invalid: bool) -> pd.DataFrame:
    from assay.arena.battle_files import read_battles

    if fmt not in ("auto", "fastchat", "preference"):
        raise ConfigError(f"--format must be auto, fastchat or preference, not {fmt!r}")
    try:
        return read_battles(path, fmt, skip_invalid=skip_invalid)  # type: ignore[arg-type]
    except DatasetError as exc:
        if "unknown winner" in str(exc) or "battles itself" in str(exc) or "exactly one of" in str(exc):
            raise DatasetError(f"{exc}; --skip-invalid leaves such rows out") from None
        raise


def _stored(db: str | None, source: str | None) -> pd.DataFrame:
    from assay.store.battles import load_battles

    with Store.open(db) as store:
        battles = load_battles(store, source=source)
        where = store.display_url
    if battles.empty:
        which = f"of source {source!r} " if source else ""
        raise DatasetError(f"no battles {which}in {where}; `assay arena import FILE` first, or use --file")
    return battles


def _utc_day(text: str | None, option: str) -> float | None:
    if text is None:
        return None
    try:
        return float(calendar.timegm(time.strptime(text, "%Y-%m-%d")))
    except ValueError:
        raise ConfigError(f"{option} expects a date as YYYY-MM-DD, got {text!r}") from None


def _parse_anchor(text: str) -> Any:
    from assay.rank import Anchor

    model, sep, value = text.rpartition("=")
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"--anchor expects MODEL=VALUE or a number, got {text!r}") from None
    if not math.isfinite(number):
        raise ConfigError(f"--anchor value must be finite, got {text!r}")
    if sep and not model:
        raise ConfigError(f"--anchor expects MODEL=VALUE or a number, got {text!r}")
    return Anchor(model or None, number)


def _groups(battles: pd.DataFrame, by_component: bool) -> list[pd.DataFrame]:
    from assay.rank import comparison_components, pair_counts_from_battles

    groups = comparison_components(
        pair_counts_from_battles(battles["model_a"], battles["model_b"], battles["winner"])
    )
    if len(groups) == 1 or not by_component:
        return [battles]  # a disconnected graph is refused (with the groups named) by the rating step
    return [battles[battles["model_a"].isin(g)].reset_index(drop=True) for g in groups]


def _rate(
    battles: pd.DataFrame,
    *,
    method: str,
    ci: str,
    rounds: int,
    seed: int,
    level: float,
    anchor: str,
    prior: float,
    elo_k: float,
    style: bool,
) -> Any:
    from assay.rank import DisconnectedComparisonError, RatingError

    try:
        if method == "elo":
            start = _parse_anchor(anchor)
            if start.model is not None:
                raise ConfigError(
                    "online Elo cannot pin a model; --anchor takes a number (the initial "
                    "rating) with --method elo"
                )
            return _elo_table(
                battles, ci=ci, rounds=rounds, seed=seed, level=level, elo_k=elo_k, initial=start.value
            )
        if style:
            return _style_table(
                battles,
                ci=ci,
                rounds=rounds,
                seed=seed,
                level=level,
                anchor=_parse_anchor(anchor),
                prior=prior,
            )
        from assay.rank import bradley_terry_table, pair_counts_from_battles

        pairs = pair_counts_from_battles(battles["model_a"], battles["model_b"], battles["winner"])
        return bradley_terry_table(
            pairs,
            anchor=_parse_anchor(anchor),
            prior=prior,
            ci=ci,  # type: ignore[arg-type]
            rounds=rounds,
            seed=seed,
            level=level,
        )
    except DisconnectedComparisonError as exc:
        raise RatingError(f"{exc} (--by-component)") from None


def _elo_table(
    battles: pd.DataFrame, *, ci: str, rounds: int, seed: int, level: float, elo_k: float, initial: float
) -> Any:
    from assay.rank import EloParams, aggregate_battles, bootstrap_elo, build_table, encode_battles
    from assay.rank.elo import online_elo

    arrays = encode_battles(battles["model_a"], battles["model_b"], battles["winner"])
    params = EloParams(k=elo_k, initial=initial)
    ratings = online_elo(arrays, params)
    interval = None
    if ci != "none":
        interval = bootstrap_elo(arrays, params, rounds=rounds, seed=seed, level=level)[1]
    return build_table(
        arrays.models,
        ratings,
        interval,
        aggregate_battles(arrays).battles_per_model(),
        method="elo",
        notes=("online Elo depends on battle order (stored/import order)",),
    )


def _style_table(
    battles: pd.DataFrame, *, ci: str, rounds: int, seed: int, level: float, anchor: Any, prior: float
) -> Any:
    import numpy as np
    from scipy.special import ndtri

    from assay.arena.battle_files import STYLE_COLUMNS, has_style
    from assay.rank import aggregate_battles, build_table, encode_battles
    from assay.rank.style import (
        STYLE_FEATURES,
        fit_style_controlled,
        style_bootstrap,
        style_covariates,
        style_sandwich,
    )

    if not has_style(battles):
        raise DatasetError(
            "--style needs style counts for every battle (conv_metadata in FastChat JSON, or "
            "response_a/response_b text in the preference layout)"
        )
    arrays = encode_battles(battles["model_a"], battles["model_b"], battles["winner"])
    half = len(STYLE_FEATURES)
    counts = battles[list(STYLE_COLUMNS)].to_numpy(dtype=np.float64)
    x = style_covariates(counts[:, :half], counts[:, half:])
    fit = fit_style_controlled(arrays, x, anchor=anchor, prior=prior)
    interval, se = style_sandwich(arrays, x, fit, level=level)
    coefficients: dict[str, dict[str, float]] = {}
    z = float(ndtri(0.5 + level / 2))
    for name, beta, s in zip(STYLE_FEATURES, fit.coefficients, se, strict=True):
        coefficients[name] = {
            "coefficient": float(beta),
            "lower": float(beta - z * s),
            "upper": float(beta + z * s),
        }
    if ci == "bootstrap":
        interval, _ = style_bootstrap(arrays, x, fit, rounds=rounds, seed=seed, level=level)
    elif ci == "none":
        interval = None
    return build_table(
        arrays.models,
        fit.ratings,
        interval,
        aggregate_battles(arrays).battles_per_model(),
        method="bradley-terry+style",
        extra={"style_coefficients": coefficients},
        notes=(
            "style coefficients: log-odds per standard deviation of the normalised "
            "difference (a - b) / (a + b + 1); intervals from the sandwich estimator",
        ),
    )


def _matrices(battles: pd.DataFrame, table: Any) -> dict[str, Any]:
    """Pairwise views in the table's model order; a pair that never had a decisive battle is null."""
    import numpy as np

    from assay.rank import (
        battle_count_matrix,
        empirical_win_fraction,
        pair_counts_from_battles,
        predicted_win_probability,
    )

    order = [row.model for row in table.rows]
    pairs = pair_counts_from_battles(battles["model_a"], battles["model_b"], battles["winner"], models=order)
    fraction = empirical_win_fraction(pairs)
    return {
        "models": order,
        "battles": battle_count_matrix(pairs).tolist(),
        "empirical_win_fraction": [[None if np.isnan(v) else float(v) for v in row] for row in fraction],
        "predicted_win_probability": predicted_win_probability(
            np.array([row.rating for row in table.rows])
        ).tolist(),
    }


def _title(method: str, style: bool) -> str:
    if method == "elo":
        return "online Elo"
    return "Bradley-Terry, style-controlled" if style else "Bradley-Terry"


def _print_table(table: Any, title: str) -> None:
    view = Table(title=title)
    view.add_column("rank", justify="right")
    view.add_column("model")
    view.add_column("rating", justify="right")
    if table.interval != "none":
        view.add_column(f"{table.level:.0%} CI ({table.interval})", justify="right")
    view.add_column("battles", justify="right")
    for row in table.rows:
        cells = [str(row.rank), Text(row.model), f"{row.rating:.1f}"]
        if table.interval != "none":
            cells.append(f"+{row.upper - row.rating:.1f} / -{row.rating - row.lower:.1f}")
        cells.append(f"{row.battles:,}")
        view.add_row(*cells)
    console.print(view)
    for name, c in table.extra.get("style_coefficients", {}).items():
        console.print(f"style {name:8s} {c['coefficient']:+.4f}  [{c['lower']:+.4f}, {c['upper']:+.4f}]")
    for note in table.notes:
        console.print(f"[dim]note: {note}[/dim]")


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(payload, indent=2, allow_nan=False), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None
