"""Rank intervals and tie groups from a paired bootstrap over samples (assay.rank.score_ranks)."""

import numpy as np
import pytest

from assay.rank.score_ranks import TaskScores, rank_intervals


def _task(name, accuracy, n, seed, **kw):
    rng = np.random.default_rng(seed)
    return TaskScores(
        name, {m: {str(i): float(rng.random() < p) for i in range(n)} for m, p in accuracy.items()}, **kw
    )


def test_clearly_separated_models_have_point_ranks_and_their_own_groups():
    found = rank_intervals([_task("t", {"good": 0.95, "mid": 0.5, "bad": 0.05}, 200, 1)], resamples=300)
    assert [(r.model, r.rank, r.low, r.high, r.group) for r in found] == [
        ("good", 1, 1, 1, 1),
        ("mid", 2, 2, 2, 2),
        ("bad", 3, 3, 3, 3),
    ]


def test_close_models_share_a_group_and_a_rank_interval():
    found = rank_intervals([_task("t", {"a": 0.60, "b": 0.59, "c": 0.1}, 60, 2)], resamples=300)
    by_model = {r.model: r for r in found}
    assert by_model["a"].group == by_model["b"].group == 1
    assert (by_model["a"].low, by_model["a"].high) == (1, 2)
    assert by_model["c"].group == 2


def test_pairing_separates_models_that_differ_on_a_few_shared_samples():
    # b equals a except on 12 of 200 samples, where only a is right: every resample of the same ids
    # keeps a ahead, although the two accuracies' own intervals overlap widely.
    rng = np.random.default_rng(4)
    a = {str(i): float(rng.random() < 0.5) for i in range(200)}
    wrong = [i for i, v in a.items() if v == 1.0][:12]
    b = {i: (0.0 if i in wrong else v) for i, v in a.items()}
    found = rank_intervals([TaskScores("t", {"a": a, "b": b})], resamples=300)
    assert [(r.model, r.low, r.high, r.group) for r in found] == [("a", 1, 1, 1), ("b", 2, 2, 2)]


def test_lower_is_better_and_several_tasks_use_mean_win_rate():
    latency = TaskScores("latency", {"fast": {"1": 0.1, "2": 0.2}, "slow": {"1": 3.0, "2": 4.0}}, False)
    found = rank_intervals([latency, _task("t", {"fast": 0.9, "slow": 0.1}, 100, 5)], resamples=200)
    assert [r.model for r in found] == ["fast", "slow"] and found[0].statistic == 1.0


def test_clusters_are_resampled_whole_so_the_interval_widens():
    rng = np.random.default_rng(6)
    passage = {str(i): str(i // 20) for i in range(200)}  # 10 passages of 20 questions
    hard = {str(k): rng.random() for k in range(10)}
    scores = {
        m: {i: float(hard[passage[i]] + shift > 0.5) for i in passage}
        for m, shift in (("a", 0.08), ("b", 0.0), ("c", -0.08))
    }
    flat = rank_intervals([TaskScores("t", scores)], resamples=300)
    clustered = rank_intervals([TaskScores("t", scores, clusters=passage)], resamples=300)
    width = lambda found: sum(r.high - r.low for r in found)  # noqa: E731
    assert width(clustered) > width(flat)


def test_seeded_and_checked():
    tasks = [_task("t", {"a": 0.6, "b": 0.55}, 40, 7)]
    assert rank_intervals(tasks, resamples=100, seed=3) == rank_intervals(tasks, resamples=100, seed=3)
    assert rank_intervals([]) == []
    with pytest.raises(ValueError):
        rank_intervals(tasks, confidence=1.5)
