"""Text normalisation and n-gram hashing for overlap detection, shared by task items and corpus text.

Like GPT-3's and lm-eval's decontamination: lowercase, punctuation and whitespace folded, then words.
Normalisation works on UTF-8 bytes and never changes a byte's position (every folded byte becomes a
space), so a match found in normalised text points at the same byte offset of the raw stream.
ASCII letters are lowercased; other non-ASCII bytes are kept as word characters, except a few common
typographic marks (curly quotes, dashes, ellipsis) that are folded like their ASCII cousins.

Words are hashed with Python's `hash` (fast, C-level; salted per process, so item and corpus hashes are
only compared within one process) and n-grams are polynomial combinations of word hashes, vectorised.
"""

from __future__ import annotations

import numpy as np

SPACE = 0x20
_WORD_BYTES = set(b"abcdefghijklmnopqrstuvwxyz0123456789") | set(range(0x80, 0x100))
# Byte -> normalised byte: A-Z lowercased, a-z/0-9/non-ASCII kept, everything else a space.
_TABLE = bytes(
    (b + 32 if 0x41 <= b <= 0x5A else b) if (b in _WORD_BYTES or 0x41 <= b <= 0x5A) else SPACE
    for b in range(256)
)
# Three-byte UTF-8 punctuation (U+2010..U+2026) folded to three spaces, keeping byte positions.
_TYPOGRAPHIC = tuple(chr(c).encode() for c in (*range(0x2010, 0x2016), *range(0x2018, 0x2020), 0x2026))
_MIX = np.uint64(0x9E3779B97F4A7C15)


def normalise(data: bytes) -> bytes:
    """Lowercase, fold punctuation and whitespace to spaces; same length as `data`."""
    out = data.translate(_TABLE)
    if b"\xe2\x80" in out:  # typographic quotes and dashes, as in "Janet’s"
        for mark in _TYPOGRAPHIC:
            if mark in out:
                out = out.replace(mark, b"   ")
    return out


def normalise_text(text: str) -> bytes:
    return normalise(text.encode("utf-8", errors="replace"))


def words(normalised: bytes) -> list[bytes]:
    return normalised.split()


def word_hashes(tokens: list[bytes]) -> np.ndarray:
    """One 64-bit hash per word (as unsigned, so the n-gram arithmetic wraps)."""
    return np.fromiter(map(hash, tokens), dtype=np.int64, count=len(tokens)).view(np.uint64)


def ngram_hashes(hashes: np.ndarray, n: int) -> np.ndarray:
    """Hash of every window of `n` consecutive words (len(hashes) - n + 1 of them, or none)."""
    count = len(hashes) - n + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    out = hashes[:count].copy()
    for k in range(1, n):
        out *= _MIX
        out ^= hashes[k : k + count]
    return out


def word_starts(normalised: bytes) -> np.ndarray:
    """Byte offset of each word of `normalised` (the words `words` returns, in order)."""
    arr = np.frombuffer(normalised, dtype=np.uint8)
    if len(arr) == 0:
        return np.empty(0, dtype=np.int64)
    is_word = arr != SPACE
    starts = np.flatnonzero(is_word[1:] & ~is_word[:-1]) + 1
    return np.concatenate(([0], starts)) if is_word[0] else starts


class HashSet:
    """A sorted array of 64-bit hashes behind a byte table indexed by their low bits.

    Most corpus n-grams are in no item; the table turns them away with one cache-friendly gather,
    and only the few that pass pay for the binary search (searchsorted on random keys is slow)."""

    def __init__(self, values: np.ndarray, table_bits: int = 22) -> None:
        self.sorted = np.unique(values.astype(np.uint64))
        self._mask = np.uint64((1 << table_bits) - 1)
        self._table = np.zeros(1 << table_bits, dtype=np.bool_)
        self._table[(self.sorted & self._mask).astype(np.intp)] = True

    def __len__(self) -> int:
        return len(self.sorted)

    def members(self, values: np.ndarray) -> np.ndarray:
        """Indices of `values` that are in the set."""
        if len(values) == 0 or len(self.sorted) == 0:
            return np.empty(0, dtype=np.int64)
        maybe = np.flatnonzero(self._table[(values & self._mask).astype(np.intp)])
        if len(maybe) == 0:
            return maybe
        candidates = values[maybe]
        at = np.searchsorted(self.sorted, candidates)
        at[at == len(self.sorted)] = 0
        return maybe[self.sorted[at] == candidates]
