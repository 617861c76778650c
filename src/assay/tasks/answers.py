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
