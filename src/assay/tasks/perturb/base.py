"""What a perturbation is, how it is seeded, and the word-level helpers the built-ins share.

A perturbation rewrites a sample's text input (the question or prompt), never its target or its
options. It is a pure function of the text and a random generator; the generator's seed comes from
the run seed, the sample id and the perturbation's name, so a run perturbs the same way on any
machine, and two perturbations of one sample draw independently.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from assay.core.errors import ConfigError
from assay.core.registry import perturbations
from assay.io import read_packaged_text

Group = Literal["robustness", "fairness"]
GROUPS: tuple[Group, ...] = ("robustness", "fairness")
WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


@dataclass(frozen=True)
class Perturbation:
    name: str
    group: Group
    description: str
    rewrite: Callable[[str, random.Random], str]

    def __call__(self, text: str, seed: int, sample_id: str) -> str:
        return self.rewrite(text, random.Random(perturbation_seed(seed, sample_id, self.name)))


def register(
    name: str, group: Group, description: str
) -> Callable[[Callable[[str, random.Random], str]], Perturbation]:
    """Decorator: a rewrite function becomes the registered perturbation `name`."""

    def decorate(rewrite: Callable[[str, random.Random], str]) -> Perturbation:
        entry = Perturbation(name, group, description, rewrite)
        perturbations.add(name, entry)
        return entry

    return decorate


def perturbation_seed(seed: int, sample_id: str, name: str) -> int:
    digest = hashlib.sha256(f"{seed}:{sample_id}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def get_perturbation(name: str) -> Perturbation:
    entry = perturbations.get(name)
    if not isinstance(entry, Perturbation):
        raise ConfigError(f"perturbation {name!r} is not a Perturbation (a plugin registered {entry!r})")
    return entry


def resolve(spec: str | Sequence[str] | None) -> tuple[str, ...]:
    """`robustness`, `fairness` (every registered perturbation of that group) or names, comma-
    separated or listed -> the perturbation names, in a stable order, each once."""
    if spec is None:
        return ()
    items = spec.split(",") if isinstance(spec, str) else [p for s in spec for p in str(s).split(",")]
    out: list[str] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        if item in GROUPS:
            names = [n for n in perturbations.names() if get_perturbation(n).group == item]
        else:
            names = [get_perturbation(item).name]
        out.extend(n for n in names if n not in out)
    return tuple(out)


def match_case(original: str, replacement: str) -> str:
    """The replacement written the way the original was: UPPER, Capitalised or as it is."""
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def replace_words(
    text: str, table: Mapping[str, Sequence[str]], rng: random.Random, rate: float = 1.0
) -> str:
    """Each word (or `two word` phrase) found in `table` (lower case keys) replaced, with probability
    `rate`, by one of its entries drawn from `rng`; case kept. Phrases of two words go first."""
    phrases = sorted((k for k in table if " " in k), key=len, reverse=True)
    pattern = re.compile(
        "|".join([*(r"\b" + re.escape(p).replace(r"\ ", r"\s+") + r"\b" for p in phrases), WORD.pattern]),
        re.IGNORECASE,
    )

    def swap(match: re.Match[str]) -> str:
        found = match.group(0)
        key = " ".join(found.lower().split())
        suffix = ""
        if key not in table and key.endswith("'s"):  # a possessive: father's -> mother's
            found, suffix, key = found[:-2], found[-2:], key[:-2]
        choices = table.get(key)
        if not choices or rng.random() >= rate:
            return found + suffix
        return match_case(found, rng.choice(list(choices))) + suffix

    return pattern.sub(swap, text)


def read_table(relative: str) -> dict[str, tuple[str, ...]]:
    """A data file of ours: `#` lines are the header (sources); each row `word<TAB>a|b|c`."""
    table: dict[str, tuple[str, ...]] = {}
    for line in read_packaged_text("assay.tasks.perturb", f"data/{relative}").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, _, rest = line.partition("\t")
        table[word.strip().lower()] = tuple(r.strip() for r in rest.split("|") if r.strip())
    return table
