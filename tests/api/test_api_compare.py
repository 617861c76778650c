"""`assay.compare`: two runs or models paired on shared samples per task, errors excluded and counted,
clusters honoured, Holm across tasks, verdicts in words; each side named as RUN, RUN:MODEL or MODEL."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

import assay
from assay.core.errors import AssayError
from assay.store import Store
from paired_runs import correlated_binary, write_run


def _table(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return [[int(np.sum((a == 1) & (b == 1))), int(np.sum((a == 1) & (b == 0)))],
            [int(np.sum((a == 0) & (b == 1))), int(np.sum((a == 0) & (b == 0)))]]  # fmt: skip


@pytest.fixture
def two_models(any_store):
    """alpha beats beta on "clear"; they tie on "even"; alpha has an error and two extra samples;
    "passages" has 20 clusters of 5 samples."""
    clear_a, clear_b = correlated_binary(300, 0.75, 0.55, seed=1)
    even_a, even_b = correlated_binary(120, 0.6, 0.6, seed=2)
    even_a = [*even_a[:7], None, *even_a[8:], 1.0, 0.0]
    rng = np.random.default_rng(3)
    passage = rng.normal(size=20).repeat(5)
    run_id = write_run(
        any_store,
        {
            "alpha": {
                "clear": clear_a,
                "even": even_a,
                "passages": list(passage + 0.5 + rng.normal(size=100)),
            },
            "beta": {"clear": clear_b, "even": even_b, "passages": list(passage + rng.normal(size=100))},
        },
        clusters={"passages": [f"p{i // 5}" for i in range(100)]},
    )
    return any_store, run_id, (clear_a, clear_b, even_a, even_b)


@pytest.fixture
def sqlite_store(tmp_path):
    """For what does not depend on the backend (the store queries are those `two_models` runs on both)."""
    with Store.open(tmp_path / "compare.db") as store:
        yield store


def test_two_models_in_a_run_per_task_and_holm(two_models):
    store, run_id, (clear_a, clear_b, even_a, even_b) = two_models
    cmp = assay.compare(f"{run_id}:alpha", "latest:beta", store=store)
    assert (cmp.a.label, cmp.b.label, cmp.a.runs) == ("alpha", "beta", (run_id,))
    clear, even, passages = cmp.tasks
    assert [t.task for t in cmp.tasks] == ["clear", "even", "passages"]

    assert (clear.shared, clear.dropped, clear.test, clear.metric) == (300, 0, "mcnemar-exact", "acc")
    assert clear.p_value == pytest.approx(mcnemar(_table(clear_a, clear_b), exact=True).pvalue, rel=1e-12)
    assert clear.correlation == pytest.approx(np.corrcoef(clear_a, clear_b)[0, 1])
    assert clear.significant and clear.better == "alpha"
    points, low, high = clear.gap()
    assert (
        clear.verdict == f"alpha is better than beta by {points:.1f} points (95% CI {low:.1f} to {high:.1f})"
    )

    # the errored sample and alpha's two extra samples are left out of the pairs, and counted
    assert (even.shared, even.errored, even.only_a, even.only_b, even.dropped) == (119, 1, 2, 0, 3)
    assert (even.unscored_a, even.unscored_b) == (1, 0)
    kept_a = [x for i, x in enumerate(even_a[:120]) if i != 7]
    kept_b = [x for i, x in enumerate(even_b) if i != 7]
    assert even.p_value == pytest.approx(mcnemar(_table(kept_a, kept_b), exact=True).pvalue, rel=1e-12)
    assert not even.significant and even.better is None
    assert (
        even.verdict == f"no detectable difference; this run could detect {even.detectable * 100:.1f} points"
    )

    assert (passages.test, passages.clusters, passages.shared) == ("clustered-t", 20, 100)
    _, expected, _, _ = multipletests([t.p_value for t in cmp.tasks], method="holm")
    assert [t.p_holm for t in cmp.tasks] == pytest.approx(list(expected))

    frame = cmp.to_frame()
    assert list(frame["task"]) == ["clear", "even", "passages"]
    assert {"shared", "dropped", "difference", "low", "high", "p_holm", "verdict"} <= set(frame.columns)
    assert cmp.to_dict()["tasks"][1]["errored"] == 1


def test_holm_takes_away_a_difference_significant_on_its_own(sqlite_store):
    any_store = sqlite_store
    # 15 samples only A gets right, 5 only B: exact McNemar p = 0.041, doubled by Holm over two tasks
    a = [1.0] * 40 + [1.0] * 15 + [0.0] * 5 + [0.0] * 40
    b = [1.0] * 40 + [0.0] * 15 + [1.0] * 5 + [0.0] * 40
    run_id = write_run(any_store, {"alpha": {"t1": a, "t2": a}, "beta": {"t1": b, "t2": a}})
    t1, t2 = assay.compare(f"{run_id}:alpha", f"{run_id}:beta", store=any_store).tasks
    assert t1.p_value == pytest.approx(0.0414, abs=1e-4) and t1.p_holm == pytest.approx(2 * t1.p_value)
    assert not t1.significant and t1.better is None
    assert t1.verdict.startswith("no detectable difference after Holm correction over 2 tasks (p 0.0414 -> ")
    alone = assay.compare(f"{run_id}:alpha", f"{run_id}:beta", tasks=["t1"], store=any_store).tasks[0]
    assert alone.significant and alone.verdict.startswith("alpha is better than beta by 10.0 points")
    assert (t2.difference, t2.p_value) == (0.0, 1.0)


def test_sides_named_by_run_and_by_model_across_runs(any_store):
    old = write_run(any_store, {"alpha": {"t1": [0.0] * 30}})
    write_run(any_store, {"alpha": {"t1": [1.0] * 30}, "beta": {"t1": [0.0] * 30, "t2": [1.0] * 4}})
    solo = write_run(any_store, {"gamma": {"t1": [0.0] * 20 + [1.0] * 10}})
    newest_alpha = assay.compare("alpha", solo, store=any_store)  # a bare model: its newest results
    assert newest_alpha.tasks[0].mean_a == 1.0 and newest_alpha.b.model == "gamma"
    same_model = assay.compare(old, "alpha", store=any_store)
    assert (same_model.a.label, same_model.b.label) == (old, "alpha")
    assert same_model.tasks[0].difference == -1.0 and same_model.tasks[0].better == "alpha"
    assert same_model.only_in_a == () and same_model.only_in_b == ()
    assert assay.compare(solo, "beta", store=any_store).only_in_b == ("t2",)
    write_run(any_store, {"delta": {"t9": [1.0, 0.0]}})
    with pytest.raises(AssayError, match=r"^delta and gamma share no task \(delta: t9; gamma: t1\)$"):
        assay.compare("delta", "gamma", store=any_store)


def test_names_that_match_nothing_are_one_line_errors(sqlite_store):
    run_id = write_run(sqlite_store, {"alpha": {"t1": [1.0, 0.0, 1.0]}, "beta": {"t1": [0.0, 0.0, 1.0]}})
    assert assay.compare("alpha", "beta", store=sqlite_store).tasks[0].shared == 3
    cases = [
        ("nobody", "beta", "'nobody' is no run id, RUN:MODEL or model name in "),
        (run_id, "beta", f"has 2 models (alpha, beta); name one as {run_id}:MODEL"),
        (f"{run_id}:gamma", "beta", "has no model 'gamma' (it has: alpha, beta)"),
        ("alpha", "beta:x", "'beta:x' is no run id"),
        ("alpha", "beta", "alpha has no results for task 'nope' (it has: t1)"),
    ]
    for a, b, message in cases:
        with pytest.raises(AssayError) as raised:
            assay.compare(a, b, tasks=["t1", "nope"] if "nope" in message else None, store=sqlite_store)
        assert message in str(raised.value) and "\n" not in str(raised.value)
    with pytest.raises(AssayError, match="give RUN or RUN:MODEL"):
        assay.compare("alpha", "beta", by_model_name=False, store=sqlite_store)


def test_too_few_shared_samples_say_so(sqlite_store):
    any_store = sqlite_store
    run_id = write_run(any_store, {"alpha": {"t1": [1.0, None, 1.0]}, "beta": {"t1": [None, 1.0, 0.0]}})
    (task,) = assay.compare(f"{run_id}:alpha", f"{run_id}:beta", store=any_store).tasks
    assert (task.shared, task.errored, task.test, task.unscored_a, task.unscored_b) == (1, 2, "none", 1, 1)
    assert task.verdict == "cannot compare: 1 shared sample with a 'acc' score"
