"""What the store is given to write: planned units. (What it gives back, `RunRecord` and
`ResultRecord`, are core records.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class UnitRecord:
    """A planned unit of work, content-keyed (the key names model, task, sample, request and seed)."""

    key: str
    model: str
    model_identity: dict[str, Any]
    task: str
    task_version: str
    sample_id: str
    request: dict[str, Any]
    sample: dict[str, Any]
