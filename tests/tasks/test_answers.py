import pytest

from assay.tasks.answers import extract_final_number, extract_marked_number, normalize_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("18", "18"),
        ("$1,000", "1000"),
        ("18.00", "18"),
        ("0.50", "0.5"),
        ("-3", "-3"),
        ("7.", "7"),
        ("abc", None),
        ("", None),
    ],
)
def test_normalize_number(raw, expected):
    assert normalize_number(raw) == expected


def test_marked_answer_wins_over_later_numbers():
    text = "She sells 9 eggs.\n#### 18\nThat is 2 dollars each."
    assert extract_marked_number(text) == "18"
    assert extract_final_number(text) == "18"


def test_the_answer_is_phrase_and_last_number_fallback():
    assert extract_final_number("So the answer is $1,250.") == "1250"
    assert extract_final_number("First 3, then 4, finally 12 apples") == "12"
    assert extract_final_number("no digits here") is None
    assert extract_marked_number("the answer is 5") is None


def test_boxed_answer_wins_over_later_numbers():
    text = "So the total is \\(\\boxed{50,000}\\).\n\nCheck: 130000 - 80000 = 50000, 2 steps"
    assert extract_final_number(text) == "50000"
    assert extract_final_number("#### 7 and \\boxed{9}") == "7"  # GSM8K's own marker still comes first
