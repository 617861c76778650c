"""Which battles count: anonymous only, languages, a date range, a per-judge daily vote cap,
models with too few battles, and judges who vote against the consensus far beyond chance."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from assay.core.errors import ConfigError
from assay.rank.battles import A_WINS, B_WINS, TIE, aggregate_battles, encode_battles
from assay.rank.bradley_terry import fit_bradley_terry


@dataclass(frozen=True)
class BattleFilter:
    anonymous_only: bool = False
    languages: tuple[str, ...] = ()
    since: float | None = None  # unix seconds, inclusive
    until: float | None = None  # unix seconds, exclusive
    daily_vote_cap: int | None = None  # votes kept per judge per UTC day (earliest first)
    min_battles: int = 0  # models with fewer battles (after the filters above) are left out


def apply_filters(battles: pd.DataFrame, spec: BattleFilter) -> tuple[pd.DataFrame, list[str]]:
    """The kept battles and one note per filter saying how many it removed."""
    notes: list[str] = []
    kept = battles

    def note(label: str, before: int) -> None:
        notes.append(f"{label}: {before - len(kept):,} of {before:,} battles removed")

    if spec.anonymous_only:
        _require(kept, "anony", "--anonymous-only")
        before = len(kept)
        kept = kept[kept["anony"].map(lambda v: v is True or v == 1)]
        note("anonymous only", before)
    if spec.languages:
        _require(kept, "language", "--language")
        wanted = {lang.lower() for lang in spec.languages}
        before = len(kept)
        kept = kept[kept["language"].map(lambda v: isinstance(v, str) and v.lower() in wanted)]
        note(f"language in {sorted(wanted)}", before)
    if spec.since is not None or spec.until is not None:
        _require(kept, "tstamp", "--since/--until")
        before = len(kept)
        stamp = kept["tstamp"].astype(float)
        inside = stamp.notna()
        if spec.since is not None:
            inside &= stamp >= spec.since
        if spec.until is not None:
            inside &= stamp < spec.until
        kept = kept[inside]
        note("date range", before)
    if spec.daily_vote_cap is not None:
        if spec.daily_vote_cap < 1:
            raise ConfigError(f"the daily vote cap must be at least 1, got {spec.daily_vote_cap}")
        before = len(kept)
        kept = cap_daily_votes(kept, spec.daily_vote_cap)
        note(f"at most {spec.daily_vote_cap} votes per judge per day", before)
    if spec.min_battles > 0:
        before = len(kept)
        kept = drop_rare_models(kept, spec.min_battles)
        note(f"models with fewer than {spec.min_battles} battles", before)
    return kept.reset_index(drop=True), notes


def _require(battles: pd.DataFrame, column: str, option: str) -> None:
    if column not in battles.columns or battles[column].isna().all():
        raise ConfigError(f"{option} needs the battles' {column!r} field, which these battles do not have")


def cap_daily_votes(battles: pd.DataFrame, cap: int) -> pd.DataFrame:
    """Keep each judge's first `cap` votes per UTC day; votes without judge or time are kept."""
    _require(battles, "judge", "a daily vote cap")
    _require(battles, "tstamp", "a daily vote cap")
    known = battles["judge"].notna() & battles["tstamp"].notna()
    timed = battles[known].sort_values("tstamp", kind="stable")
    day = np.floor(timed["tstamp"].astype(float) / 86_400.0)
    order = timed.groupby([timed["judge"], day]).cumcount()
    return pd.concat([battles[~known], timed[order < cap]]).sort_index()


def drop_rare_models(battles: pd.DataFrame, min_battles: int) -> pd.DataFrame:
    """Leave out battles of models with fewer than `min_battles` battles (one pass)."""
    per_model = pd.concat([battles["model_a"], battles["model_b"]]).value_counts()
    rare = set(per_model[per_model < min_battles].index)
    return battles[~(battles["model_a"].isin(rare) | battles["model_b"].isin(rare))]


@dataclass(frozen=True)
class JudgeAgreement:
    judge: str
    decisive_votes: int
    agreed: int  # votes for the model the consensus ratings favour
    expected: float
    z: float


def judge_agreement(
    battles: pd.DataFrame, *, min_votes: int = 20, prior: float = 1.0
) -> list[JudgeAgreement]:
    """Per judge: how often its decisive votes pick the consensus favourite, against chance.

    Under the consensus Bradley-Terry model a vote picks the favourite with probability
    q = max(p, 1 - p); a judge's agreement count then has mean sum(q) and variance sum(q(1 - q)).
    z = (agreed - mean) / sd; a very negative z marks a judge voting against everyone else.
    The consensus uses a weak prior so one unbeaten model does not stop the check.
    """
    _require(battles, "judge", "judge agreement")
    arrays = encode_battles(battles["model_a"], battles["model_b"], battles["winner"])
    fit = fit_bradley_terry(aggregate_battles(arrays), prior=prior)
    s = fit.strengths
    p_a = 1.0 / (1.0 + np.exp(s[arrays.model_b] - s[arrays.model_a]))
    decisive = (arrays.outcome != TIE) & battles["judge"].notna().to_numpy()
    favourite_is_a = p_a >= 0.5
    agreed = ((arrays.outcome == A_WINS) & favourite_is_a) | ((arrays.outcome == B_WINS) & ~favourite_is_a)
    q = np.maximum(p_a, 1.0 - p_a)
    frame = pd.DataFrame(
        {
            "judge": battles["judge"].to_numpy()[decisive],
            "agreed": agreed[decisive],
            "q": q[decisive],
            "var": (q * (1 - q))[decisive],
        }
    )
    out = []
    for judge, group in frame.groupby("judge"):
        if len(group) < min_votes:
            continue
        sd = math.sqrt(group["var"].sum()) or 1.0
        z = (group["agreed"].sum() - group["q"].sum()) / sd
        out.append(
            JudgeAgreement(
                str(judge), len(group), int(group["agreed"].sum()), float(group["q"].sum()), float(z)
            )
        )
    return sorted(out, key=lambda j: j.z)


def outlier_judges(battles: pd.DataFrame, *, min_votes: int = 20, z_threshold: float = 4.0) -> list[str]:
    """Judges with at least `min_votes` decisive votes whose agreement z is below -z_threshold."""
    return [j.judge for j in judge_agreement(battles, min_votes=min_votes) if j.z < -z_threshold]


def drop_judges(battles: pd.DataFrame, judges: Sequence[str]) -> pd.DataFrame:
    return battles[~battles["judge"].isin(list(judges))].reset_index(drop=True)
