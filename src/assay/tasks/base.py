"""Shared task plumbing: required row fields, seeded few-shot selection, cluster ids. (Files: assay.io.)"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from typing import Any, TypeVar

from assay.core.errors import DatasetError
from assay.core.types import Sample

T = TypeVar("T")


def require_str(row: dict[str, Any], field: str, where: str) -> str:
    value = row.get(field)
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(f"{where}: field {field!r} is missing or not a non-empty string")
    return value


def with_cluster(sample: Sample, key: str | None) -> Sample:
    """The sample with metadata "cluster" set from its metadata `key` (what items share: a subject, a
    passage), which clustered standard errors group by. A sample that already names one keeps it."""
    metadata = dict(sample.metadata)
    if key is None or "cluster" in metadata or metadata.get(key) is None:
        return sample
    return dataclasses.replace(sample, metadata=(*sample.metadata, ("cluster", str(metadata[key]))))


def pick_fewshot(pool: Sequence[T], k: int, seed: int) -> list[T]:
    """k examples from the pool, the same ones for the same seed on every machine."""
    if k <= 0:
        return []
    if k > len(pool):
        raise DatasetError(f"asked for {k} few-shot examples but the pool has {len(pool)}")
    return random.Random(seed).sample(list(pool), k)
