"""Scoring functions pinned on hand-computed values and on tricky real answers."""

from __future__ import annotations

import math

import pytest

from assay.core.types import Sample, Score
from assay.metrics import bootstrap_stderr, run_level_metrics, summarize
from assay.metrics.calibration import brier, expected_calibration_error, softmax
from assay.metrics.text import exact_match, normalize_text, token_f1
from assay.tasks.answers import extract_choice_letter, extract_final_number
from assay.tasks.circular import rotations


def test_brier_and_softmax_by_hand() -> None:
    assert brier([0.7, 0.2, 0.1], 0) == pytest.approx(0.09 + 0.04 + 0.01)
    assert brier([0.0, 1.0], 0) == 2.0
    probs = softmax([math.log(1), math.log(3)])
    assert probs == pytest.approx([0.25, 0.75])


def test_ece_uses_equal_mass_bins() -> None:
    # 4 samples, 2 bins of 2 (sorted by confidence): {0.2 wrong, 0.4 right}, {0.6 right, 0.8 wrong}
    # bin 1: |0.5 - 0.3| = 0.2, bin 2: |0.5 - 0.7| = 0.2 -> ECE 0.2
    assert expected_calibration_error([0.8, 0.2, 0.6, 0.4], [0, 0, 1, 1], bins=2) == pytest.approx(0.2)
    # Perfectly calibrated in each bin: zero.
    assert expected_calibration_error([1.0, 1.0, 0.5, 0.5], [1, 1, 1, 0], bins=2) == pytest.approx(0.0)
    # More bins than samples: one sample per bin.
    assert expected_calibration_error([0.9], [0]) == pytest.approx(0.9)
    assert math.isnan(expected_calibration_error([], []))


def test_bootstrap_stderr_is_seeded_and_close_to_the_analytic_value() -> None:
    values = [1.0] * 30 + [0.0] * 70
    first, second = bootstrap_stderr(values), bootstrap_stderr(values)
    assert first == second
    analytic = math.sqrt(0.3 * 0.7 / 100)
    assert abs(first - analytic) < 0.15 * analytic
    assert summarize(values).stderr == first
    assert summarize([1.0]).stderr is None


def test_token_f1_and_exact_match_normalise_like_squad() -> None:
    assert normalize_text("The  Eiffel Tower!") == "eiffel tower"
    assert exact_match("the Eiffel tower.", "Eiffel Tower") == 1.0
    assert token_f1("in Paris France", "Paris") == pytest.approx(2 * (1 / 3) * 1 / (1 / 3 + 1))
    assert token_f1("", "") == 1.0 and token_f1("x", "") == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The answer is (B)", 1),
        ("Answer: D", 3),
        ("**C**\n\nBecause the others are wrong.", 2),
        ("B. 42 apples", 1),
        ("Between (A) and (C), I pick (C).", 2),
        ("A cat is not an option here", None),
        ("the answer is a trick", None),
        ("Answer: E", None),  # only four options
    ],
)
def test_choice_letters_from_real_replies(text: str, expected: int | None) -> None:
    assert extract_choice_letter(text, 4) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She pays $1,250.00 in total.\n#### 1,250", "1250"),
        ("so the final answer is \\boxed{72}.", "72"),
        ("The answer is: 18 eggs", "18"),
        ("It takes 3.50 hours, then 4 more, so 7.5", "7.5"),
        ("-0", "0"),
    ],
)
def test_numbers_with_commas_units_and_boxes(text: str, expected: str) -> None:
    assert extract_final_number(text) == expected


def _item(
    sid: str, acc: float, conf: float, group: str | None = None, **meta: object
) -> tuple[Sample, Score]:
    metadata = tuple((k, v) for k, v in {"group": group, **meta}.items() if v is not None)
    return Sample(id=sid, input="", metadata=metadata), Score(values={"acc": acc, "confidence": conf})


def test_run_level_aggregators_by_group_calibration_and_circular() -> None:
    items = [_item("1", 1, 0.9, "stem"), _item("2", 0, 0.8, "stem"), _item("3", 1, 0.6, "humanities")]
    out = run_level_metrics(["by_group", "calibration"], items)
    assert out["acc[stem]"] == 0.5 and out["acc[humanities]"] == 1.0
    assert out["acc_macro"] == 0.75
    assert out["ece"] == pytest.approx((0.1 + 0.8 + 0.4) / 3)  # three bins of one: |acc - conf|
    circ = [
        _item(f"{q}@r{r}", acc, 0.5, circular_of=q, rotation=r)
        for q, r, acc in [("q1", 0, 1), ("q1", 1, 0), ("q2", 0, 1), ("q2", 1, 1)]
    ]
    out = run_level_metrics(["circular"], circ)
    assert out == {"circular_acc": 0.5, "acc[rotation 0]": 1.0, "acc[rotation 1]": 0.5}


def test_rotations_move_the_answer_with_the_options() -> None:
    sample = Sample(id="q", input="?", choices=("a", "b", "c"), answer_index=1)
    rotated = rotations(sample)
    assert [r.choices for r in rotated] == [("a", "b", "c"), ("b", "c", "a"), ("c", "a", "b")]
    answers = [r.choices[r.answer_index] for r in rotated if r.choices and r.answer_index is not None]
    assert answers == ["b"] * 3
    assert [r.id for r in rotated] == ["q@r0", "q@r1", "q@r2"]
