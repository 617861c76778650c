"""Answer extraction and normalisation for free-form generations (pure functions)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_NUMBER = re.compile(r"-?\$?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_MARKED = re.compile(r"####\s*(-?\$?[\d,]*\.?\d+)")
_BOXED = re.compile(r"\\boxed\{\s*\\?\$?(-?[\d,]*\.?\d+)\s*\}")
_THE_ANSWER = re.compile(r"answer is\s*:?\s*\$?(-?[\d,]*\.?\d+)", re.IGNORECASE)


def normalize_number(text: str) -> str | None:
    """'$1,000.50' -> '1000.5'; '18.00' -> '18'; None when it is not a number."""
    cleaned = text.strip().replace(",", "").replace("$", "").rstrip(".")
    try:
        value = Decimal(cleaned)
        if not value.is_finite():
            return None
        if value == value.to_integral_value():
            # format() rather than quantize(): quantize raises past the context precision.
            return format(value.to_integral_value() + 0, "f")  # +0 turns -0 into 0
        return format(value.normalize(), "f")
    except InvalidOperation:
        return None


def extract_marked_number(text: str) -> str | None:
    """The number after '####' (GSM8K's own answer format), else None."""
    match = _MARKED.search(text)
    return normalize_number(match.group(1)) if match else None


def extract_final_number(text: str) -> str | None:
    """'####' answer, else the last LaTeX '\\boxed{N}', else 'the answer is N', else the last number."""
    boxed = _BOXED.findall(text)
    marked = _MARKED.search(text)
    if boxed and not marked:
        return normalize_number(boxed[-1])
    for finder in (_MARKED, _THE_ANSWER):
        match = finder.search(text)
        if match:
            return normalize_number(match.group(1))
    numbers = _NUMBER.findall(text)
    return normalize_number(numbers[-1]) if numbers else None


def _letter_patterns(letters: str) -> list[re.Pattern[str]]:
    cls = f"[{letters}]"
    return [
        # "The answer is (B)", "Answer: C", "the correct option is **D**"
        re.compile(rf"(?i:answer|option|choice)\s*(?i:is|:)?\s*:?\s*[\*\(\[]*\s*({cls})\b(?![\w'])"),
        re.compile(rf"^\s*[\*\(\[]*({cls})(?:[\)\]\.:\*]|\s*$)"),  # the reply opens with "B." / "(B)"
        re.compile(rf"\(({cls})\)"),  # "(C)" anywhere
        re.compile(rf"\*\*({cls})\*\*"),  # "**C**"
    ]


def extract_choice_letter(text: str, n_choices: int) -> int | None:
    """Index of the chosen option from a generated reply ("The answer is (B)" -> 1), else None.

    Only the first `n_choices` letters count, so a stray "E" in a four-option question is ignored.
    An explicit "answer is X" wins; otherwise the reply's opening letter, then the last "(X)" or "**X**".
    """
    if not 1 <= n_choices <= 26:
        return None
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:n_choices]
    for i, pattern in enumerate(_letter_patterns(letters)):
        found = pattern.findall(text)
        if found:
            # The first explicit "answer is" (later ones are often restatements); the last marker else.
            letter = found[0] if i < 2 else found[-1]
            return letters.index(letter.upper())
    return None
