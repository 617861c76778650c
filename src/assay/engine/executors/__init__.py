"""Executors run planned units against models: `local` (this process, asyncio) by default, `ray` for a
cluster. Planning, scoring and the store are the same for every executor; only where the model calls
happen changes, so the answers are the same too."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from assay.core.registry import executors
from assay.engine.calls import ExecutionStats
from assay.engine.executors import local
from assay.engine.plan import WorkUnit
from assay.engine.progress import RunProgress
from assay.engine.retry import RetryPolicy
from assay.store import Store


@runtime_checkable
class Executor(Protocol):
    name: str
    workers: int  # how many workers answered units (recorded with the run)

    async def execute(
        self,
        units: Sequence[WorkUnit],
        store: Store,
        run_id: str,
        *,
        policy: RetryPolicy,
        progress: RunProgress,
    ) -> ExecutionStats: ...


def build_executor(name: str, options: dict[str, Any] | None = None) -> Executor:
    executor = executors.get(name)(**dict(options or {}))
    assert isinstance(executor, Executor)
    return executor


__all__ = ["Executor", "build_executor", "local"]
