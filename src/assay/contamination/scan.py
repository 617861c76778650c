"""The overlap scan: every block of the corpus against every item's n-grams and MinHash shingles.

Per block the work is a handful of C-level passes: normalise (bytes.translate), split into words, hash
them, combine into n-gram hashes (numpy) and look those up in the items' sorted hash array. Only the
rare hits leave numpy: each is verified word by word (so a hash collision never reports an item), and
only documents that share many shingles with some item get a MinHash signature and an LSH lookup.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assay.contamination.corpus import BLOCK_BYTES, Block, read_blocks
from assay.contamination.items import ItemIndex
from assay.contamination.normalize import ngram_hashes, normalise, word_hashes, word_starts


@dataclass(frozen=True)
class Hit:
    """Where an item was found: an exact n-gram (`ngram`) or a near-duplicate document (`near_duplicate`)."""

    task: str
    sample_id: str
    kind: str
    source: str
    line: int | None  # text and JSONL: line number; Parquet: row number
    offset: int | None  # byte offset in the decompressed file (of the match; of the record for JSONL)
    similarity: float  # 1.0 for an n-gram; the Jaccard similarity of a near-duplicate
    evidence: str  # the matched n-gram, normalised, or the start of the near-duplicate document


@dataclass
class ScanTotals:
    bytes_read: int = 0
    seconds: float = 0.0
    occurrences: dict[tuple[int, str], int] = field(default_factory=dict)  # (item, kind) -> count
    first: dict[tuple[int, str], Hit] = field(default_factory=dict)

    @property
    def mb_per_s(self) -> float:
        return self.bytes_read / 1e6 / self.seconds if self.seconds > 0 else 0.0


Progress = Callable[[int], None]  # called with bytes of the current file consumed


_FORKED: Scanner | None = None


def _scan_in_child(block: Block) -> tuple[ScanTotals, int]:
    """In a forked worker: one block's hits, counted afresh."""
    assert _FORKED is not None
    _FORKED.totals = ScanTotals()
    _FORKED.scan_block(block)
    return _FORKED.totals, block.consumed


class Scanner:
    def __init__(self, index: ItemIndex) -> None:
        self.index = index
        self.totals = ScanTotals()

    def scan_files(
        self,
        files: Sequence[Path],
        *,
        text_field: str = "text",
        progress: Progress | None = None,
        block_bytes: int = BLOCK_BYTES,
        workers: int = 1,
    ) -> ScanTotals:
        """Scan the files in order; with `workers` > 1, blocks are scanned by that many forked processes
        (results merged in block order, so the first location of a hit is the same either way)."""
        started = time.perf_counter()
        blocks = (
            b for path in files for b in read_blocks(path, text_field=text_field, block_bytes=block_bytes)
        )
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            self._scan_parallel(blocks, workers, progress)
        else:
            for block in blocks:
                self.scan_block(block)
                if progress is not None:
                    progress(block.consumed)
        self.totals.seconds += time.perf_counter() - started
        return self.totals

    def _scan_parallel(self, blocks: Iterator[Block], workers: int, progress: Progress | None) -> None:
        global _FORKED
        _FORKED = self  # the children inherit the index (and this process's hash salt) by forking
        in_flight: deque[Any] = deque()
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for block in blocks:
                in_flight.append(pool.apply_async(_scan_in_child, (block,)))
                if len(in_flight) >= 2 * workers:  # bounded: never more than a few blocks in memory
                    self._merge(in_flight.popleft().get(), progress)
            while in_flight:
                self._merge(in_flight.popleft().get(), progress)
        _FORKED = None

    def _merge(self, part: tuple[ScanTotals, int], progress: Progress | None) -> None:
        totals, consumed = part
        self.totals.bytes_read += totals.bytes_read
        for key, count in totals.occurrences.items():
            self.totals.occurrences[key] = self.totals.occurrences.get(key, 0) + count
            self.totals.first.setdefault(key, totals.first[key])
        if progress is not None:
            progress(consumed)

    def scan_block(self, block: Block) -> None:
        settings = self.index.settings
        norm = normalise(block.data)
        tokens = norm.split()
        hashes = word_hashes(tokens)
        self.totals.bytes_read += len(block.data)
        found = self.index.ngram_set.members(ngram_hashes(hashes, settings.ngram))
        shingles = ngram_hashes(hashes, settings.shingle)
        shared = self.index.shingle_set.members(shingles)
        if len(found) == 0 and len(shared) < 2:
            return  # the common case: nothing in this block resembles any item
        starts = word_starts(norm)
        for at in found.tolist():
            self._verify_ngram(block, tokens, int(starts[at]), at)
        if len(shared) >= 2:
            self._near_duplicates(block, norm, shingles, shared, starts)

    def _record(
        self, block: Block, item: int, kind: str, pos: int, similarity: float, evidence: bytes
    ) -> None:
        """Count an occurrence; the first of each (item, kind) keeps its location."""
        key = (item, kind)
        count = self.totals.occurrences.get(key, 0)
        self.totals.occurrences[key] = count + 1
        if count == 0:
            line, offset = block.locate(pos)
            it = self.index.items[item]
            text = evidence.decode("utf-8", errors="replace")[:200]
            self.totals.first[key] = Hit(
                it.task, it.sample_id, kind, block.source, line, offset, round(similarity, 4), text
            )

    def _verify_ngram(self, block: Block, tokens: list[bytes], pos: int, at: int) -> None:
        window = tuple(tokens[at : at + self.index.settings.ngram])
        h = int(ngram_hashes(word_hashes(list(window)), len(window))[0])
        seen: set[int] = set()
        for item, fld, where in self.index.ngram_owners.get(h, ()):
            if item in seen or self.index.ngram_words(item, fld, where) != window:
                continue
            seen.add(item)
            self._record(block, item, "ngram", pos, 1.0, b" ".join(window))

    def _near_duplicates(
        self, block: Block, norm: bytes, shingles: np.ndarray, shared: np.ndarray, starts: np.ndarray
    ) -> None:
        """Documents with many item shingles get a signature; LSH candidates get an exact Jaccard."""
        settings, index = self.index.settings, self.index
        docs = block.doc_starts()
        doc_of_word = np.searchsorted(docs, starts, side="right") - 1
        words_per_doc = np.bincount(doc_of_word, minlength=len(docs))
        shared_per_doc = np.bincount(doc_of_word[shared], minlength=len(docs))
        doc_shingles = np.maximum(words_per_doc - settings.shingle + 1, 1)
        # Jaccard >= t needs at least t * |doc shingles| of them shared; half of that leaves room for repeats.
        likely = (shared_per_doc >= 2) & (shared_per_doc >= 0.5 * settings.threshold * doc_shingles)
        first_word = np.searchsorted(doc_of_word, np.arange(len(docs)), side="left")
        assert index.hasher is not None and index.lsh is not None
        for doc in np.flatnonzero(likely).tolist():
            lo, hi = (
                int(first_word[doc]),
                int(first_word[doc]) + int(words_per_doc[doc]) - settings.shingle + 1,
            )
            mine = np.unique(shingles[lo:hi])
            if len(mine) == 0:
                continue
            candidates = index.lsh.query(index.hasher.signature(mine))
            own = set(mine.tolist())
            for item in sorted(candidates):
                theirs = index.shingle_sets[item]
                jaccard = len(own & theirs) / len(own | theirs)
                if jaccard >= settings.threshold:
                    pos = int(starts[lo])
                    self._record(block, item, "near_duplicate", pos, jaccard, norm[pos : pos + 200])
