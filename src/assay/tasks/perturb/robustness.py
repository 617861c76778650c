"""Robustness perturbations (HELM's invariance set; Liang et al. 2022, arXiv:2211.09110, sec. 4.5):
rewrites that keep the meaning, so a robust model's answer should not change."""

from __future__ import annotations

import functools
import random
import re

from assay.tasks.perturb.base import WORD, match_case, read_table, register, replace_words

TYPO_RATE = 0.05  # chance per letter; HELM's "typos" uses 0.05-0.1
SYNONYM_RATE = 0.5  # chance per word that has synonyms in our list (HELM's synonym perturbation: 0.5)

# Neighbouring keys on a US QWERTY keyboard. Each row sits half a key right of the one above, so the
# keys touching column c are c and c+1 in the row above and c-1 and c in the row below (g: t y f h v b).
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours() -> dict[str, str]:
    out: dict[str, str] = {}
    for r, row in enumerate(_ROWS):
        for c, key in enumerate(row):
            near = [(r, c - 1), (r, c + 1), (r - 1, c), (r - 1, c + 1), (r + 1, c - 1), (r + 1, c)]
            keys = {_ROWS[i][j] for i, j in near if 0 <= i < len(_ROWS) and 0 <= j < len(_ROWS[i])}
            out[key] = "".join(sorted(keys))
    return out


KEYBOARD_NEIGHBOURS = _neighbours()


@register("typos", "robustness", f"each letter, with probability {TYPO_RATE}, becomes a neighbouring key")
def typos(text: str, rng: random.Random) -> str:
    out = []
    for char in text:
        near = KEYBOARD_NEIGHBOURS.get(char.lower())
        if near and rng.random() < TYPO_RATE:
            typed = rng.choice(near)
            char = typed.upper() if char.isupper() else typed
        out.append(char)
    return "".join(out)


@register("lowercase", "robustness", "every letter in lower case")
def lowercase(text: str, rng: random.Random) -> str:
    return text.lower()


@register("whitespace", "robustness", "each space between words becomes 1-3 spaces")
def whitespace(text: str, rng: random.Random) -> str:
    return re.sub(r"(?<=\S) (?=\S)", lambda _: " " * rng.randint(1, 3), text)


@functools.cache
def _contractions() -> dict[str, tuple[str, ...]]:
    return read_table("contractions.tsv")


@functools.cache
def _expansions() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for long, (short, *_) in _contractions().items():
        out.setdefault(short.lower(), (long,))  # the first listed expansion of an ambiguous form
    return out


@register("contractions", "robustness", "'do not' -> 'don't', 'it is' -> 'it's', ... (our list)")
def contractions(text: str, rng: random.Random) -> str:
    return replace_words(text, _contractions(), rng)


@register("expansions", "robustness", "'don't' -> 'do not', 'it's' -> 'it is', ... (our list)")
def expansions(text: str, rng: random.Random) -> str:
    table = _expansions()

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        long = table.get(word.lower().replace("’", "'"))
        return match_case(word, long[0]) if long else word

    return WORD.sub(swap, text)


@functools.cache
def _synonyms() -> dict[str, tuple[str, ...]]:
    return read_table("synonyms.tsv")


@register(
    "synonyms", "robustness", f"words with synonyms in our list swapped with probability {SYNONYM_RATE}"
)
def synonyms(text: str, rng: random.Random) -> str:
    return replace_words(text, _synonyms(), rng, rate=SYNONYM_RATE)
