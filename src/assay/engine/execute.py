"""Executing work units against models: concurrency per model, retries, write-once responses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from assay.core.errors import ModelRequestError
from assay.core.types import LoglikelihoodRequest, Response, to_jsonable
from assay.engine.plan import WorkUnit
from assay.engine.progress import RunProgress
from assay.engine.retry import RetryPolicy, call_with_retries
from assay.store import Store


@dataclass
class ExecutionStats:
    planned: int = 0
    cached: int = 0
    sent: int = 0  # requests sent to models, retries included
    answered: int = 0
    errors: int = 0
    tokens_evaluated: int = 0


async def _call(unit: WorkUnit) -> Response:
    if isinstance(unit.request, LoglikelihoodRequest):
        return await unit.model.loglikelihood(unit.request)
    return await unit.model.generate(unit.request)


async def execute(
    units: Sequence[WorkUnit], store: Store, run_id: str, *, policy: RetryPolicy, progress: RunProgress
) -> ExecutionStats:
    """Answer every unit not already in the store. A unit that fails after retries is recorded as an
    error (with its reason) and left unanswered, so the next run tries it again."""
    stats = ExecutionStats(planned=len(units))
    answered = store.answered_keys(u.key for u in units)
    stats.cached = len(answered)
    progress.advance(cached=stats.cached, steps=stats.cached)
    todo = [u for u in units if u.key not in answered]
    limits = {id(u.model): asyncio.Semaphore(max(1, u.model.max_concurrency)) for u in todo}

    def count_attempt(*_: object) -> None:
        stats.sent += 1

    async def run_one(unit: WorkUnit) -> None:
        async with limits[id(unit.model)]:
            started = time.perf_counter()
            try:
                stats.sent += 1
                result, attempts = await call_with_retries(
                    lambda: _call(unit), policy, on_retry=count_attempt
                )
            except ModelRequestError as exc:
                store.put_error(run_id, unit.key, exc.reason, attempts=getattr(exc, "attempts", 1))
                stats.errors += 1
                progress.advance(error=True)
                return
            latency = time.perf_counter() - started
        store.put_response(unit.key, to_jsonable(result), latency_s=latency, attempts=attempts)
        stats.answered += 1
        stats.tokens_evaluated += getattr(result, "tokens_evaluated", None) or 0
        progress.advance()

    pending = [asyncio.ensure_future(run_one(u)) for u in todo]
    try:
        await asyncio.gather(*pending)
    finally:
        for job in pending:
            job.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    return stats
