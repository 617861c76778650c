"""Arena battles: import them, list their sources, rate the models; and the live arena's parts.

import assay
assay.arena_import("clean_battle.json", store="results.db")
ratings = assay.arena_ratings(store="results.db", ci="sandwich")   # .table.rows, .to_dict(), .to_frame()
offline = assay.arena_ratings("clean_battle.json", method="elo")    # a file, without the store
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.api.stores import StoreLike, using_store
from assay.arena import ArenaConfig, ArenaService, BattleNotFound, VoteRefused
from assay.arena.rating_results import ArenaRatings, PairwiseMatrices, RatedGroup
from assay.arena.service import BattleView
from assay.arena.service import view as battle_view
from assay.core.errors import ConfigError, DatasetError
from assay.rank.errors import DisconnectedComparisonError, RatingError

if TYPE_CHECKING:
    import pandas as pd

    from assay.arena.abuse import RateLimits, client_ip
    from assay.rank.table import RatingRow, RatingTable

PathLike = str | os.PathLike[str]
BATTLE_FORMATS = ("auto", "fastchat", "preference")

__all__ = [
    "ArenaConfig",
    "ArenaImport",
    "ArenaRatings",
    "ArenaService",
    "BattleNotFound",
    "BattleView",
    "DisconnectedComparisonError",
    "PairwiseMatrices",
    "RateLimits",
    "RatedGroup",
    "RatingError",
    "RatingRow",
    "RatingTable",
    "VoteRefused",
    "arena_import",
    "arena_ratings",
    "arena_sources",
    "battle_view",
    "check_model_names",
    "client_ip",
    "delete_live_battles",
]


@dataclass(frozen=True)
class ArenaImport:
    """What an import stored: battles read from the file, new ones, ones already stored, rows left out."""

    source: str
    read: int
    added: int
    skipped_invalid: int
    store: str  # where they went (a password in a URL is hidden)

    @property
    def already_stored(self) -> int:
        return self.read - self.added

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "read": self.read,
            "added": self.added,
            "already_stored": self.already_stored,
            "skipped_invalid": self.skipped_invalid,
        }


def __getattr__(name: str) -> Any:
    """Names that load on first use, not with `import assay`: the rating tables come with pandas and
    scipy, the web's rate limits with the `limits` package."""
    if name in ("RatingRow", "RatingTable"):
        from assay.rank import table

        return getattr(table, name)
    if name in ("RateLimits", "client_ip"):
        from assay.arena import abuse

        return getattr(abuse, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def arena_import(
    path: PathLike,
    *,
    format: str = "auto",
    source: str | None = None,
    skip_invalid: bool = False,
    store: StoreLike = None,
) -> ArenaImport:
    """Store the battles of a FastChat clean-battle JSON/JSONL file or an arena-human-preference
    parquet/CSV file under `source` (default: the file name). Importing the same file again adds
    nothing; `skip_invalid` leaves out rows with an unknown winner or a self-battle."""
    from assay.store.battles import put_battles

    battles = _read_file(Path(path), format, skip_invalid)
    name = source or Path(path).name
    with using_store(store) as opened:
        added = put_battles(opened, battles, source=name)
        where = opened.display_url
    skipped = int(battles.attrs.get("skipped", 0))
    return ArenaImport(source=name, read=len(battles), added=added, skipped_invalid=skipped, store=where)


def arena_sources(*, store: StoreLike = None) -> dict[str, int]:
    """Stored battle sources (sorted by name) and their battle counts."""
    from assay.store.battles import battle_sources

    with using_store(store) as opened:
        return battle_sources(opened)


def arena_ratings(
    file: PathLike | None = None,
    *,
    format: str = "auto",
    source: str | None = None,
    method: str = "bt",
    ci: str = "bootstrap",
    rounds: int = 100,
    seed: int = 0,
    level: float = 0.95,
    anchor: str | float = "1000",
    prior: float = 0.0,
    elo_k: float = 4.0,
    style: bool = False,
    anonymous_only: bool = False,
    languages: Sequence[str] = (),
    since: str | None = None,
    until: str | None = None,
    daily_cap: int | None = None,
    min_battles: int = 0,
    drop_outlier_judges: bool = False,
    outlier_z: float = 4.0,
    by_component: bool = False,
    matrices: bool = False,
    store: StoreLike = None,
) -> ArenaRatings:
    """Ratings with confidence intervals and ranks from a battle `file`, else from the stored battles
    (of one `source`, or all).

    `method` is bt (Bradley-Terry) or elo (online Elo); `ci` bootstrap, sandwich (BT only) or none;
    `anchor` "MODEL=VALUE" pins a model, a number sets the mean rating (Elo: the initial rating);
    `style` controls for answer length, headers, lists and bold. The filters keep anonymous battles,
    `languages`, UTC days from `since` (inclusive) to `until` (exclusive) as YYYY-MM-DD, at most
    `daily_cap` votes per judge per day, models with at least `min_battles`, and leave out judges
    voting against the consensus (z below -`outlier_z`). Groups of models that never met are refused
    (DisconnectedComparisonError) unless `by_component` rates each group on its own scale; `matrices`
    adds pairwise battle counts, win fractions and predicted win probabilities."""
    from assay.arena.ratings import FilterChoices, RatingChoices, rate_battles

    choices = RatingChoices(
        method=method,  # type: ignore[arg-type]  # checked below, with a one-line error
        ci=ci,  # type: ignore[arg-type]
        rounds=rounds,
        seed=seed,
        level=level,
        anchor=str(anchor),
        prior=prior,
        elo_k=elo_k,
        style=style,
    )
    choices.check()
    filters = FilterChoices(
        anonymous_only=anonymous_only,
        languages=tuple(languages),
        since=since,
        until=until,
        daily_cap=daily_cap,
        min_battles=min_battles,
        drop_outlier_judges=drop_outlier_judges,
        outlier_z=outlier_z,
    )
    battles = _read_file(Path(file), format, False) if file is not None else _stored(store, source)
    return rate_battles(battles, choices, filters, by_component=by_component, matrices=matrices)


def delete_live_battles(*, store: StoreLike = None) -> int:
    """Delete every live-arena battle and its vote; returns how many battles went."""
    from assay.store.arena_live import delete_live

    with using_store(store) as opened:
        return delete_live(opened)


def check_model_names(names: Iterable[str]) -> tuple[str, ...]:
    """The names, each checked to name a model assay can build (built-in or backend:target): an
    unknown one fails here, with one line, rather than at its first request."""
    from assay.models import parse_model

    checked = tuple(names)
    for name in checked:
        parse_model(name)
    return checked


def _read_file(path: Path, fmt: str, skip_invalid: bool) -> pd.DataFrame:
    from assay.arena.battle_files import InvalidBattleRow, read_battles

    if fmt not in BATTLE_FORMATS:
        raise ConfigError(f"--format must be auto, fastchat or preference, not {fmt!r}")
    try:
        return read_battles(path, fmt, skip_invalid=skip_invalid)  # type: ignore[arg-type]
    except InvalidBattleRow as exc:
        raise DatasetError(f"{exc}; --skip-invalid leaves such rows out") from None


def _stored(store: StoreLike, source: str | None) -> pd.DataFrame:
    from assay.store.battles import load_battles

    with using_store(store) as opened:
        battles = load_battles(opened, source=source)
        where = opened.display_url
    if battles.empty:
        which = f"of source {source!r} " if source else ""
        raise DatasetError(f"no battles {which}in {where}; `assay arena import FILE` first, or use --file")
    return battles
