"""HELM's worst-case robustness and fairness on a table computed by hand."""

import math

from assay.core.types import Sample, Score
from assay.metrics.perturbation import perturbation_metrics, worst_case


def test_worst_case_on_a_hand_computed_table():
    table = {
        "q1": {"": 1.0, "typos": 0.0, "lowercase": 1.0},  # worst 0
        "q2": {"": 1.0, "typos": 1.0, "lowercase": 1.0},  # worst 1
        "q3": {"": 0.0, "typos": 1.0},  # worst 0: the original counts too
        "q4": {"": 0.5},  # nothing changed it: worst 0.5
        "q5": {"typos": 1.0},  # no original: left out
    }
    assert worst_case(table) == (0 + 1 + 0 + 0.5) / 4
    assert math.isnan(worst_case({}))


def copy(origin, name, group, value):
    meta = (("perturbation", name), ("perturbation_group", group), ("perturbed_from", origin))
    return Sample(id=f"{origin}~{name}", input="x", metadata=meta), Score({"acc": value})


def test_aggregator_groups_robustness_and_fairness_and_fills_unchanged_with_the_original():
    items = [
        (Sample(id="a", input="x"), Score({"acc": 1.0, "acc_norm": 0.0})),
        (Sample(id="b", input="x"), Score({"acc": 1.0})),
        (Sample(id="c", input="x"), Score({"acc": 0.0})),
        copy("a", "typos", "robustness", 0.0),
        copy("b", "typos", "robustness", 1.0),
        copy("b", "lowercase", "robustness", 0.0),
        copy("a", "dialect", "fairness", 1.0),
    ]
    out = perturbation_metrics(items, "acc")
    assert out["acc_robustness"] == 0 / 3  # a: min(1, 0); b: min(1, 1, 0); c: 0
    assert out["acc_fairness"] == 2 / 3  # a: min(1, 1); b: 1 (unchanged); c: 0
    assert out["acc[typos]"] == 1 / 3  # a 0, b 1, c unchanged 0
    assert out["acc[lowercase]"] == 1 / 3  # a unchanged 1, b 0, c unchanged 0
    assert out["acc[dialect]"] == 2 / 3
    assert perturbation_metrics([], "acc") == {}


def test_asked_perturbations_that_changed_nothing_score_the_original():
    items = [
        (Sample(id="a", input="x"), Score({"acc": 1.0})),
        (Sample(id="b", input="x"), Score({"acc": 0.0})),
    ]
    out = perturbation_metrics(items, "acc", {"fairness": ["names"]})
    assert out == {"acc_fairness": 0.5, "acc[names]": 0.5}
