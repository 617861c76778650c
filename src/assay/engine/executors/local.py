"""The default executor: this process, asyncio, each model's own concurrency limit; answers are written
by an `AnswerWriter` (batched, off the event loop) and all committed before `execute` returns."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from assay.core.errors import ConfigError
from assay.core.registry import executors
from assay.core.spec import RunSpec
from assay.core.types import ModelSpec
from assay.engine.calls import ExecutionStats, UnitFailure, answer_unit, unanswered
from assay.engine.plan import WorkUnit
from assay.engine.progress import RunProgress
from assay.engine.retry import RetryPolicy
from assay.engine.writer import BATCH_SIZE, INTERVAL_S, AnswerWriter
from assay.store import Store


class LocalExecutor:
    """Answer every unit not already in the store, in this process. A unit that fails after retries
    is recorded as an error (with its reason) and left unanswered, so the next run tries it again."""

    name = "local"
    workers = 1

    def __init__(self, *, batch_size: int = BATCH_SIZE, interval_s: float = INTERVAL_S) -> None:
        self.batch_size = batch_size  # how the answers are batched into transactions (AnswerWriter)
        self.interval_s = interval_s

    async def execute(
        self,
        units: Sequence[WorkUnit],
        store: Store,
        run_id: str,
        *,
        policy: RetryPolicy,
        progress: RunProgress,
        models: Mapping[str, ModelSpec],
    ) -> ExecutionStats:
        stats, todo = unanswered(units, store, progress)
        gates = {id(u.model): asyncio.Semaphore(max(1, u.model.max_concurrency)) for u in todo}
        writer = AnswerWriter(store, batch_size=self.batch_size, interval_s=self.interval_s)

        async def run_one(unit: WorkUnit) -> None:
            outcome = await answer_unit(unit, writer, run_id, policy, stats, gate=gates[id(unit.model)])
            progress.advance(error=isinstance(outcome, UnitFailure))

        pending = [asyncio.ensure_future(run_one(u)) for u in todo]
        try:
            await asyncio.gather(*pending)
        finally:
            for job in pending:
                job.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            # Every answer received is committed before the run scores, or is interrupted (Ctrl-C).
            await writer.aclose()
        return stats

    def remote_scorer(self, spec: RunSpec) -> None:
        return None  # everything scores in this process's thread pool

    def close(self) -> None:
        return None


@executors.register("local")
def local_executor(**options: object) -> LocalExecutor:
    if options:
        raise ConfigError(f"the local executor takes no option {sorted(options)[0]!r}")
    return LocalExecutor()
