"""Stable content keys: the same inputs give the same key on any machine, in any process."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from assay.core.types import to_jsonable


def canonical_json(value: Any) -> str:
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_key(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def unit_key(
    *,
    model_identity: dict[str, Any],
    task_name: str,
    task_version: str,
    sample_id: str,
    request: Any,
    seed: int | None,
    epoch: int = 0,
    perturbation: str | None = None,
) -> str:
    """Key of one work unit. The model identity is always part of it (a peer once forgot). A repeat
    of a sample (`epoch` > 0) is its own unit; epoch 0 keeps the key it had before repeats existed,
    so stored answers are still found. A perturbation's name joins the key only when there is one,
    so unperturbed units keep their keys (and a perturbed run reuses the plain run's answers)."""
    content: dict[str, Any] = {
        "model": model_identity,
        "task": {"name": task_name, "version": task_version},
        "sample": sample_id,
        "request": request,
        "seed": seed,
    }
    if epoch:
        content["epoch"] = epoch
    if perturbation is not None:
        content["perturbation"] = perturbation
    return content_key(content)
