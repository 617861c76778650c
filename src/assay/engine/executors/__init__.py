"""Executors run planned units against models: `local` (this process, asyncio) by default, `ray` for a
cluster. Planning, scoring and the store are the same for every executor; only where the model calls
happen changes, so the answers are the same too."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from assay.core.registry import executors
from assay.core.spec import RunSpec
from assay.core.types import ModelSpec
from assay.engine.calls import ExecutionStats
from assay.engine.executors import local
from assay.engine.plan import WorkUnit
from assay.engine.progress import RunProgress
from assay.engine.retry import RetryPolicy
from assay.engine.scoring import RemoteScorer
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
        models: Mapping[str, ModelSpec],
    ) -> ExecutionStats: ...

    def remote_scorer(self, spec: RunSpec) -> RemoteScorer | None:
        """Where scoring that needs CPU goes (None: score here)."""
        ...

    def close(self) -> None:
        """Let go of what the executor holds (a cluster connection); called once the run is over."""
        ...


def build_executor(name: str, options: dict[str, Any] | None = None) -> Executor:
    executor = executors.get(name)(**dict(options or {}))
    assert isinstance(executor, Executor)
    return executor


__all__ = ["Executor", "build_executor", "local"]
