"""Strict, auditable reading of a judge's text: explicit markers first, logged fallbacks second.

An answer nothing can read is an error with a reason; it is never turned into a tie.
"""

from __future__ import annotations

import logging
import math
import re

from assay.judge.types import ParsedRating, ParsedVerdict, Verdict

log = logging.getLogger(__name__)

# [[A]], [[ b ]], [[C]] (tie), [[tie]]
_MARKER = re.compile(r"\[\[\s*(A|B|C|tie)\s*\]\]", re.IGNORECASE)
_LETTER: dict[str, Verdict] = {"a": "A", "b": "B", "c": "tie", "tie": "tie"}

# Looser rules, tried in order; each must name exactly one outcome in the whole text to count.
_FALLBACKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("single-brackets", re.compile(r"(?<!\[)\[\s*(A|B|C)\s*\](?!\])")),
    (
        "verdict-label",
        re.compile(
            r"\b(?:final\s+)?(?:verdict|choice|decision)\s*(?:is)?\s*[:=\-]?\s*\**\s*"
            r"(?:assistant\s+)?((?-i:A|B|C)|tie)\b",
            re.IGNORECASE,
        ),
    ),
    ("comparison", re.compile(r"(?<![\w>])(A\s*>\s*B|B\s*>\s*A|A\s*=\s*B)(?![\w>])")),
    (
        "assistant-is-better",
        re.compile(
            r"\bassistant\s+((?-i:A|B))(?:'s\s+answer)?\s+is\s+(?:clearly\s+|slightly\s+|much\s+)?better\b",
            re.IGNORECASE,
        ),
    ),
    ("bare-letter", re.compile(r"^\s*\**\s*(A|B|tie)\s*\**\s*\.?\s*$", re.IGNORECASE)),
)
_COMPARISON: dict[str, Verdict] = {"A>B": "A", "B>A": "B", "A=B": "tie"}


def parse_pairwise_verdict(text: str) -> ParsedVerdict:
    """A judge's text -> A, B or tie; or an error.

    Markers [[A]] / [[B]] / [[C]] decide. When several different markers appear the last one wins
    (a judge that reasons "[[A]] looks ... but in the end [[B]]"), logged as a fallback, except an
    echo of the instructions (each of A, B and C once, in that order) which is ambiguous.
    """
    markers = [_LETTER[m.lower()] for m in _MARKER.findall(text)]
    if markers:
        if len(set(markers)) == 1:
            return ParsedVerdict(markers[0], "marker")
        if markers == ["A", "B", "tie"]:
            return _failed(text, "the judge only repeated the verdict format ([[A]], [[B]], [[C]])")
        return _fallback(text, markers[-1], "last-marker")
    for rule, pattern in _FALLBACKS:
        found = {_fallback_verdict(m) for m in pattern.findall(text)}
        if len(found) == 1:
            return _fallback(text, found.pop(), rule)
    return _failed(text, "no verdict marker ([[A]], [[B]] or [[C]]) in the judge's answer")


def _fallback_verdict(match: str) -> Verdict:
    key = re.sub(r"\s+", "", match).upper()
    if key in _COMPARISON:
        return _COMPARISON[key]
    return _LETTER[key.lower()]


def _fallback(text: str, verdict: Verdict, rule: str) -> ParsedVerdict:
    log.info("judge verdict %s read by fallback rule %r from %r", verdict, rule, _excerpt(text))
    return ParsedVerdict(verdict, f"fallback:{rule}")


def _failed(text: str, reason: str) -> ParsedVerdict:
    log.warning("unparseable judge verdict (%s): %r", reason, _excerpt(text))
    return ParsedVerdict(None, "none", reason)


_NUMBER = r"([+-]?\d+(?:\.\d+)?)"
_RATING_MARKER = re.compile(r"\[\[\s*" + _NUMBER + r"\s*(?:/\s*10\s*)?\]\]")
_RATING_FALLBACKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "rating-label",
        re.compile(
            r"\b(?:rating|score)\s*(?:is)?\s*[:=]?\s*\**\s*\[?\s*" + _NUMBER + r"(?!\.?\d)(?:\s*/\s*10)?",
            re.IGNORECASE,
        ),
    ),
    ("out-of-ten", re.compile(_NUMBER + r"\s*(?:/|out\s+of)\s*10\b", re.IGNORECASE)),
)


def parse_rating(text: str, *, low: float = 1.0, high: float = 10.0) -> ParsedRating:
    """ "Rating: [[7]]" -> 7.0. The marker decides; "Rating: 7" and "7/10" are logged fallbacks.

    Several different marked ratings take the last one (logged); a rating outside [low, high] is an error.
    """
    marked = [float(v) for v in _RATING_MARKER.findall(text)]
    if marked:
        method = "marker" if len(set(marked)) == 1 else "fallback:last-marker"
        return _checked_rating(text, marked[-1], method, low, high)
    for rule, pattern in _RATING_FALLBACKS:
        found = {float(v) for v in pattern.findall(text)}
        if len(found) == 1:
            return _checked_rating(text, found.pop(), f"fallback:{rule}", low, high)
    reason = "no rating marker ([[N]]) in the judge's answer"
    log.warning("unparseable judge rating (%s): %r", reason, _excerpt(text))
    return ParsedRating(None, "none", reason)


def _checked_rating(text: str, value: float, method: str, low: float, high: float) -> ParsedRating:
    if not math.isfinite(value) or not low <= value <= high:
        reason = f"rating {value:g} is outside the scale {low:g}-{high:g}"
        log.warning("rejected judge rating (%s): %r", reason, _excerpt(text))
        return ParsedRating(None, method, reason)
    if method != "marker":
        log.info("judge rating %g read by %s from %r", value, method, _excerpt(text))
    return ParsedRating(value, method)


def _excerpt(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
