"""The task items a scan looks for: their n-grams in a hash set, their shingles in a MinHash LSH index.

An item's text is its input (the question, the code prompt) and, when it is long enough to carry
n-grams, its reference answer; each field is hashed on its own so no n-gram spans two fields.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from assay.contamination.minhash import LSHIndex, MinHasher
from assay.contamination.normalize import HashSet, ngram_hashes, normalise_text, word_hashes, words
from assay.core.errors import ConfigError
from assay.core.protocols import Task
from assay.core.registry import tasks
from assay.core.types import Sample
from assay.engine.tasks import expand_tasks


@dataclass(frozen=True)
class ScanSettings:
    ngram: int = 13  # GPT-3 and lm-eval's decontamination use 13-grams
    shingle: int = 3  # words per MinHash shingle: short enough that two edits leave most intact
    threshold: float = 0.5  # Jaccard similarity that makes a near-duplicate
    perms: int = 128
    bands: int = 32  # (1/32)^(1/4) ~ 0.42: pairs above the threshold almost always meet


@dataclass(frozen=True)
class Item:
    task: str
    sample_id: str
    fields: tuple[tuple[bytes, ...], ...]  # normalised words of each field


@dataclass
class ItemIndex:
    settings: ScanSettings
    items: list[Item] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)  # task -> items with at least one n-gram
    too_short: dict[str, int] = field(default_factory=dict)  # task -> items shorter than an n-gram
    ngram_set: HashSet = field(default_factory=lambda: HashSet(np.empty(0, np.uint64)))
    # n-gram hash -> (item, field, word position) of each occurrence, to verify a hit word by word
    ngram_owners: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    shingle_set: HashSet = field(default_factory=lambda: HashSet(np.empty(0, np.uint64)))
    shingle_sets: list[frozenset[int]] = field(default_factory=list)
    lsh: LSHIndex | None = None
    hasher: MinHasher | None = None

    def ngram_words(self, item: int, fld: int, at: int) -> tuple[bytes, ...]:
        return self.items[item].fields[fld][at : at + self.settings.ngram]


def build_tasks(names: Sequence[str], options: dict[str, dict[str, object]] | None = None) -> list[Task]:
    """Tasks by name, suite or task file, built to read their samples (no model, no sandbox needed)."""
    out = []
    for config in expand_tasks(names):
        opts = {**config.options, **(options or {}).get(config.name, {})}
        try:
            task = tasks.get(config.name)(**opts)
        except TypeError as exc:
            raise ConfigError(f"task {config.name}: bad option ({exc})") from None
        assert isinstance(task, Task)
        out.append(task)
    return out


def item_fields(sample: Sample, ngram: int) -> tuple[tuple[bytes, ...], ...]:
    fields = [tuple(words(normalise_text(sample.input)))]
    if sample.target:
        answer = tuple(words(normalise_text(sample.target)))
        if len(answer) >= ngram:
            fields.append(answer)
    return tuple(fields)


def build_index(task_samples: Iterable[tuple[str, Iterable[Sample]]], settings: ScanSettings) -> ItemIndex:
    """Hash every item's n-grams and shingles; sign every item for the LSH index."""
    index = ItemIndex(settings)
    owners: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    shingles_all: set[int] = set()
    for task, samples in task_samples:
        index.checked.setdefault(task, 0)
        index.too_short.setdefault(task, 0)
        for sample in samples:
            item = Item(task, sample.id, item_fields(sample, settings.ngram))
            number = len(index.items)
            index.items.append(item)
            hashed_any = False
            shingles: set[int] = set()
            for f, tokens in enumerate(item.fields):
                hashes = word_hashes(list(tokens))
                for at, h in enumerate(ngram_hashes(hashes, settings.ngram).tolist()):
                    owners[h].append((number, f, at))
                    hashed_any = True
                shingles.update(ngram_hashes(hashes, settings.shingle).tolist())
            index.checked[task] += hashed_any
            index.too_short[task] += not hashed_any
            index.shingle_sets.append(frozenset(shingles))
            shingles_all |= shingles
    index.ngram_owners = dict(owners)
    index.ngram_set = HashSet(np.array(sorted(owners), dtype=np.uint64))
    index.shingle_set = HashSet(np.array(sorted(shingles_all), dtype=np.uint64))
    index.hasher = MinHasher(settings.perms)
    index.lsh = LSHIndex(settings.perms, settings.bands)
    for number, item_shingles in enumerate(index.shingle_sets):
        if item_shingles:
            signature = index.hasher.signature(np.array(sorted(item_shingles), dtype=np.uint64))
            index.lsh.add(number, signature)
    return index
