"""MinHash signatures and a banded LSH index, in numpy (small, and only what the scanner needs).

A signature is, for each of `perms` seeded mixes of the shingle hashes, the minimum; two sets'
signatures agree at a position with probability equal to their Jaccard similarity. Banding (b bands
of r rows) makes pairs above about (1/b)^(1/r) likely to share a band, so only they are compared.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a good 64-bit bit mixer, vectorised (uint64 wraps)."""
    x = values ^ (values >> np.uint64(30))
    x = x * _M1
    x ^= x >> np.uint64(27)
    x = x * _M2
    return x ^ (x >> np.uint64(31))


class MinHasher:
    def __init__(self, perms: int = 128, seed: int = 1) -> None:
        rng = np.random.default_rng(seed)
        self.seeds = rng.integers(0, 2**63, size=(perms, 1), dtype=np.int64).view(np.uint64)
        self.perms = perms

    def signature(self, shingles: np.ndarray) -> np.ndarray:
        """The signature of a non-empty set of shingle hashes (uint64)."""
        with np.errstate(over="ignore"):
            return _mix(shingles[np.newaxis, :] ^ self.seeds).min(axis=1)


class LSHIndex:
    """Items' signatures in `bands` bands; `query` returns items sharing at least one band."""

    def __init__(self, perms: int = 128, bands: int = 32) -> None:
        if perms % bands:
            raise ValueError("perms must be a multiple of bands")
        self.bands, self.rows = bands, perms // bands
        self._buckets: list[dict[bytes, list[int]]] = [defaultdict(list) for _ in range(bands)]

    def _keys(self, signature: np.ndarray) -> list[bytes]:
        return [signature[b * self.rows : (b + 1) * self.rows].tobytes() for b in range(self.bands)]

    def add(self, item: int, signature: np.ndarray) -> None:
        for bucket, key in zip(self._buckets, self._keys(signature), strict=True):
            bucket[key].append(item)

    def query(self, signature: np.ndarray) -> set[int]:
        found: set[int] = set()
        for bucket, key in zip(self._buckets, self._keys(signature), strict=True):
            found.update(bucket.get(key, ()))
        return found
