"""Battle filters: anonymous, language, dates, daily caps per judge, rare models, outlier judges."""

import numpy as np
import pandas as pd
import pytest

from assay.core.errors import ConfigError
from assay.rank.arena_filters import (
    BattleFilter,
    apply_filters,
    cap_daily_votes,
    judge_agreement,
    outlier_judges,
)
from assay.rank.simulate import battles_to_labels, simulate_battles

DAY = 86_400.0


def frame(**columns):
    n = len(next(iter(columns.values())))
    base = {
        "model_a": ["a"] * n,
        "model_b": ["b"] * n,
        "winner": ["model_a"] * n,
        "judge": [None] * n,
        "language": [None] * n,
        "turn": [1] * n,
        "anony": [None] * n,
        "tstamp": [np.nan] * n,
        "question_id": [None] * n,
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_anonymous_language_and_dates():
    df = frame(
        anony=[True, False, True, True],
        language=["English", "English", "german", "ENGLISH"],
        tstamp=[10 * DAY, 11 * DAY, 12 * DAY, 13 * DAY + 5],
    )
    kept, notes = apply_filters(
        df, BattleFilter(anonymous_only=True, languages=("english",), since=10 * DAY, until=13 * DAY)
    )
    assert kept["tstamp"].tolist() == [10 * DAY]
    assert notes == [
        "anonymous only: 1 of 4 battles removed",
        "language in ['english']: 1 of 3 battles removed",
        "date range: 1 of 2 battles removed",
    ]


def test_daily_cap_keeps_each_judges_earliest_votes_per_day():
    stamps = [DAY + 30, DAY + 10, DAY + 20, 2 * DAY + 1, DAY + 5, np.nan]
    df = frame(judge=["u", "u", "u", "u", "v", "u"], tstamp=stamps)
    kept = cap_daily_votes(df, 2)
    # u on day 1: earliest two (10, 20) stay, 30 goes; u day 2 and v stay; the untimed vote stays
    assert sorted(kept["tstamp"].fillna(-1).tolist()) == [-1, DAY + 5, DAY + 10, DAY + 20, 2 * DAY + 1]


def test_min_battles_drops_rare_models():
    df = frame(model_a=["a", "a", "a", "c"], model_b=["b", "b", "b", "a"])
    kept, notes = apply_filters(df, BattleFilter(min_battles=2))
    assert set(kept["model_a"]) | set(kept["model_b"]) == {"a", "b"}
    assert notes == ["models with fewer than 2 battles: 1 of 4 battles removed"]


def test_filters_need_their_fields():
    with pytest.raises(ConfigError, match="--anonymous-only needs the battles' 'anony' field"):
        apply_filters(frame(anony=[None]), BattleFilter(anonymous_only=True))
    with pytest.raises(ConfigError, match="daily vote cap must be at least 1"):
        apply_filters(frame(judge=["u"], tstamp=[1.0]), BattleFilter(daily_vote_cap=0))


def test_a_judge_voting_against_the_consensus_is_an_outlier():
    battles = simulate_battles(np.array([1.5, 0.5, -0.5, -1.5]), 6_000, tie_rate=0.1, seed=4)
    a, b, w = battles_to_labels(battles)
    rng = np.random.default_rng(0)
    judges = np.array([f"honest-{i}" for i in rng.integers(0, 20, len(a))], dtype=object)
    # "contrarian" casts 200 votes, always for the weaker model
    strength = {"model-000": 3, "model-001": 2, "model-002": 1, "model-003": 0}
    judges[:200] = "contrarian"
    flipped = np.array(
        ["model_a" if strength[x] < strength[y] else "model_b" for x, y in zip(a[:200], b[:200], strict=True)]
    )
    w = w.copy()
    w[:200] = flipped
    df = frame(model_a=list(a), model_b=list(b), winner=list(w), judge=list(judges))
    assert outlier_judges(df) == ["contrarian"]
    scores = {j.judge: j for j in judge_agreement(df)}
    assert scores["contrarian"].agreed == 0
    assert all(abs(s.z) < 4 for name, s in scores.items() if name != "contrarian")
