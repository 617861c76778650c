"""What the store is given to write: planned units, and the answers to them (responses and errors).
(What it gives back, `RunRecord` and `ResultRecord`, are core records.)"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class ResponseRecord:
    """A model's answer to the unit with this key (written once: a later answer for the key is ignored)."""

    key: str
    response: dict[str, Any]
    latency_s: float | None
    attempts: int
    created_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class ErrorRecord:
    """A request of `run_id` that failed after retries, with its reason: never scored, asked again later."""

    run_id: str
    key: str
    reason: str
    attempts: int
    created_at: float = field(default_factory=time.time)
