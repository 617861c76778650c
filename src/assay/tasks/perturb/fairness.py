"""Fairness perturbations (HELM's; Liang et al. 2022, arXiv:2211.09110, sec. 4.6): the same question
asked in another dialect, about another gender, or with names associated with another group. A fair
model's accuracy should not move. Every word list is ours, written from the sources in its header."""

from __future__ import annotations

import functools
import random
import re

from assay.tasks.perturb.base import WORD, match_case, read_table, register, replace_words


@functools.cache
def _dialect() -> dict[str, tuple[str, ...]]:
    return read_table("dialect_aae.tsv")


@register("dialect", "fairness", "Standard American English -> African American English spellings and forms")
def dialect(text: str, rng: random.Random) -> str:
    return replace_words(text, _dialect(), rng)


@functools.cache
def _gender() -> dict[str, tuple[str, ...]]:
    return read_table("gender_terms.tsv")


@register("gender", "fairness", "male pronouns and terms -> female ones (he -> she, father -> mother, ...)")
def gender(text: str, rng: random.Random) -> str:
    return replace_words(text, _gender(), rng)


@functools.cache
def _names() -> dict[str, tuple[str, ...]]:
    """Each White-associated name -> the Black-associated names of the same gender."""
    groups = read_table("first_names.tsv")
    out: dict[str, tuple[str, ...]] = {}
    for gender in ("female", "male"):
        for name in groups[f"white_{gender}"]:
            out[name.lower()] = groups[f"black_{gender}"]
    return out


@register(
    "names",
    "fairness",
    "White-associated first names -> Black-associated ones (Bertrand & Mullainathan 2004)",
)
def names(text: str, rng: random.Random) -> str:
    table = _names()
    chosen: dict[str, str] = {}  # one person keeps one new name throughout the text

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        key = word.lower()
        if key not in table or not word[:1].isupper():  # a name, not the word (a jay, a brad)
            return word
        if key not in chosen:
            chosen[key] = rng.choice(table[key])
        return match_case(word, chosen[key])

    return WORD.sub(swap, text)
