"""Shared task plumbing: required row fields, seeded few-shot selection. (Files are read by assay.io.)"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, TypeVar

from assay.core.errors import DatasetError

T = TypeVar("T")


def require_str(row: dict[str, Any], field: str, where: str) -> str:
    value = row.get(field)
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(f"{where}: field {field!r} is missing or not a non-empty string")
    return value


def pick_fewshot(pool: Sequence[T], k: int, seed: int) -> list[T]:
    """k examples from the pool, the same ones for the same seed on every machine."""
    if k <= 0:
        return []
    if k > len(pool):
        raise DatasetError(f"asked for {k} few-shot examples but the pool has {len(pool)}")
    return random.Random(seed).sample(list(pool), k)
