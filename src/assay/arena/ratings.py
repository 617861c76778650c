"""Arena ratings: battles in, published rating tables out (Bradley-Terry, online Elo, style control).

Pure: a DataFrame of battles (the columns `assay.arena.battle_files` reads and the store gives back)
and the choices below; nothing is read or written here. Errors name the command-line option a user
sets, which is also the keyword of `assay.arena_ratings`.
"""

from __future__ import annotations

import calendar
import math
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from assay.arena.battle_files import STYLE_COLUMNS, has_style
from assay.arena.rating_results import ArenaRatings, PairwiseMatrices, RatedGroup
from assay.core.errors import ConfigError, DatasetError
from assay.rank import (
    Anchor,
    EloParams,
    Interval,
    RatingTable,
    aggregate_battles,
    battle_count_matrix,
    bootstrap_elo,
    bradley_terry_table,
    build_table,
    comparison_components,
    empirical_win_fraction,
    encode_battles,
    online_elo,
    pair_counts_from_battles,
    predicted_win_probability,
)
from assay.rank.arena_filters import BattleFilter, apply_filters, drop_judges, outlier_judges

Method = Literal["bt", "elo"]
IntervalChoice = Literal["bootstrap", "sandwich", "none"]


@dataclass(frozen=True)
class RatingChoices:
    """How to rate: the method, its intervals and where the scale sits."""

    method: Method = "bt"  # bt (Bradley-Terry) | elo (online Elo)
    ci: IntervalChoice = "bootstrap"  # bootstrap | sandwich (BT only) | none
    rounds: int = 100  # bootstrap rounds
    seed: int = 0  # bootstrap seed
    level: float = 0.95  # confidence level of the intervals
    anchor: str = "1000"  # MODEL=VALUE pins a model's rating; a number sets the mean (Elo: the start)
    prior: float = 0.0  # Gaussian prior precision on BT strengths (0: plain maximum likelihood)
    elo_k: float = 4.0  # K factor of online Elo
    style: bool = False  # control for answer style (length, headers, lists, bold)

    def check(self) -> None:
        if self.method not in ("bt", "elo"):
            raise ConfigError(f"--method must be bt or elo, not {self.method!r}")
        if self.ci not in ("bootstrap", "sandwich", "none"):
            raise ConfigError(f"--ci must be bootstrap, sandwich or none, not {self.ci!r}")
        if self.method == "elo" and (self.ci == "sandwich" or self.style):
            raise ConfigError("online Elo has no sandwich intervals or style control; use --method bt")
        if not 0 < self.level < 1:
            raise ConfigError(f"--level must be between 0 and 1, got {self.level}")
        if self.rounds < 2:
            raise ConfigError(f"--rounds must be at least 2, got {self.rounds}")
        parse_anchor(self.anchor)


@dataclass(frozen=True)
class FilterChoices:
    """Which battles count."""

    anonymous_only: bool = False
    languages: tuple[str, ...] = ()
    since: str | None = None  # UTC date YYYY-MM-DD, inclusive
    until: str | None = None  # UTC date YYYY-MM-DD, exclusive
    daily_cap: int | None = None  # votes kept per judge per UTC day
    min_battles: int = 0  # models with fewer battles are left out
    drop_outlier_judges: bool = False  # judges who vote against the consensus far beyond chance
    outlier_z: float = 4.0  # z below which a judge is an outlier


def rate_battles(
    battles: pd.DataFrame,
    choices: RatingChoices = RatingChoices(),
    filters: FilterChoices = FilterChoices(),
    *,
    by_component: bool = False,
    matrices: bool = False,
) -> ArenaRatings:
    """Filter the battles, then rate them (each group of models that met on its own scale with
    `by_component`; otherwise a disconnected field is refused, naming the groups)."""
    choices.check()
    total = len(battles)
    kept, notes = filter_battles(battles, filters)
    if kept.empty:
        after = " after the filters" if notes else ""
        raise DatasetError(f"no battles left to rate (of {total:,}{after})")
    groups = []
    for group in rating_groups(kept, by_component):
        table = rate(group, choices)
        groups.append(RatedGroup(table, pairwise_matrices(group, table) if matrices else None))
    return ArenaRatings(battles=len(kept), battles_read=total, filters=tuple(notes), groups=tuple(groups))


def filter_battles(battles: pd.DataFrame, filters: FilterChoices) -> tuple[pd.DataFrame, list[str]]:
    """The battles that count and one note per filter saying how many it removed."""
    spec = BattleFilter(
        anonymous_only=filters.anonymous_only,
        languages=tuple(filters.languages),
        since=utc_day(filters.since, "--since"),
        until=utc_day(filters.until, "--until"),
        daily_vote_cap=filters.daily_cap,
        min_battles=filters.min_battles,
    )
    kept, notes = apply_filters(battles, spec)
    if filters.drop_outlier_judges:
        judges = outlier_judges(kept, z_threshold=filters.outlier_z)
        before = len(kept)
        kept = drop_judges(kept, judges)
        notes.append(f"outlier judges: {len(judges)} left out with {before - len(kept):,} battles")
    return kept, notes


def utc_day(text: str | None, option: str) -> float | None:
    """Unix seconds at the start of a YYYY-MM-DD day in UTC."""
    if text is None:
        return None
    try:
        return float(calendar.timegm(time.strptime(text, "%Y-%m-%d")))
    except ValueError:
        raise ConfigError(f"{option} expects a date as YYYY-MM-DD, got {text!r}") from None


def parse_anchor(text: str) -> Anchor:
    """MODEL=VALUE pins a model; a bare number sets the mean rating."""
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


def rating_groups(battles: pd.DataFrame, by_component: bool) -> list[pd.DataFrame]:
    """The battles per group of models that met each other, or all of them as one group."""
    groups = comparison_components(
        pair_counts_from_battles(battles["model_a"], battles["model_b"], battles["winner"])
    )
    if len(groups) == 1 or not by_component:
        return [battles]  # a disconnected graph is refused (with the groups named) by the rating step
    return [battles[battles["model_a"].isin(g)].reset_index(drop=True) for g in groups]


def rate(battles: pd.DataFrame, choices: RatingChoices) -> RatingTable:
    """One rating table over battles whose models all met (directly or through others)."""
    anchor = parse_anchor(choices.anchor)
    if choices.method == "elo":
        if anchor.model is not None:
            raise ConfigError(
                "online Elo cannot pin a model; --anchor takes a number (the initial "
                "rating) with --method elo"
            )
        return elo_table(battles, choices, initial=anchor.value)
    if choices.style:
        return style_table(battles, choices, anchor)
    pairs = pair_counts_from_battles(battles["model_a"], battles["model_b"], battles["winner"])
    return bradley_terry_table(
        pairs,
        anchor=anchor,
        prior=choices.prior,
        ci=choices.ci,
        rounds=choices.rounds,
        seed=choices.seed,
        level=choices.level,
    )


def elo_table(battles: pd.DataFrame, choices: RatingChoices, *, initial: float) -> RatingTable:
    """Online Elo in battle order (stored or file order), with bootstrap intervals unless ci is none."""
    arrays = encode_battles(battles["model_a"], battles["model_b"], battles["winner"])
    params = EloParams(k=choices.elo_k, initial=initial)
    ratings = online_elo(arrays, params)
    interval = None
    if choices.ci != "none":
        rounds, seed, level = choices.rounds, choices.seed, choices.level
        interval = bootstrap_elo(arrays, params, rounds=rounds, seed=seed, level=level)[1]
    return build_table(
        arrays.models,
        ratings,
        interval,
        aggregate_battles(arrays).battles_per_model(),
        method="elo",
        notes=("online Elo depends on battle order (stored/import order)",),
    )


def style_table(battles: pd.DataFrame, choices: RatingChoices, anchor: Anchor) -> RatingTable:
    """Bradley-Terry with style covariates; the coefficients' intervals come from the sandwich."""
    from scipy.special import ndtri

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
    fit = fit_style_controlled(arrays, x, anchor=anchor, prior=choices.prior)
    sandwich, se = style_sandwich(arrays, x, fit, level=choices.level)
    z = float(ndtri(0.5 + choices.level / 2))
    coefficients = {
        name: {"coefficient": float(beta), "lower": float(beta - z * s), "upper": float(beta + z * s)}
        for name, beta, s in zip(STYLE_FEATURES, fit.coefficients, se, strict=True)
    }
    interval: Interval | None = sandwich
    if choices.ci == "bootstrap":
        rounds, seed, level = choices.rounds, choices.seed, choices.level
        interval, _ = style_bootstrap(arrays, x, fit, rounds=rounds, seed=seed, level=level)
    elif choices.ci == "none":
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


def pairwise_matrices(battles: pd.DataFrame, table: RatingTable) -> PairwiseMatrices:
    """Battle counts, empirical win fractions and predicted win probabilities in the table's order."""
    order = [row.model for row in table.rows]
    pairs = pair_counts_from_battles(battles["model_a"], battles["model_b"], battles["winner"], models=order)
    fraction = empirical_win_fraction(pairs)
    predicted = predicted_win_probability(np.array([row.rating for row in table.rows]))
    return PairwiseMatrices(
        models=tuple(order),
        battles=tuple(tuple(int(v) for v in row) for row in battle_count_matrix(pairs)),
        empirical_win_fraction=tuple(
            tuple(None if np.isnan(v) else float(v) for v in row) for row in fraction
        ),
        predicted_win_probability=tuple(tuple(float(v) for v in row) for row in predicted),
    )
