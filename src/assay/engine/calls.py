"""One model call, the one way: retried, timed, and written to the store once (answer or error).

Every executor and the engine session answer units through `answer_unit`, so caching, retries and
"an error is recorded, never scored" hold for every model call assay makes. Answers go to the store
through an `AnswerWriter`: batched, committed by its thread, never on the event loop.
"""

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
from assay.engine.writer import AnswerWriter
from assay.store import Store


@dataclass
class ExecutionStats:
    planned: int = 0
    cached: int = 0
    sent: int = 0  # requests sent to models, retries included
    answered: int = 0
    errors: int = 0
    tokens_evaluated: int = 0

    def add(self, other: ExecutionStats) -> None:
        for name in ("planned", "cached", "sent", "answered", "errors", "tokens_evaluated"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class UnitFailure:
    """A unit whose request failed after retries: recorded in the store, never scored."""

    reason: str
    attempts: int


def unanswered(
    units: Sequence[WorkUnit], store: Store, progress: RunProgress
) -> tuple[ExecutionStats, list[WorkUnit]]:
    """What an executor starts from: the units whose key has no stored answer (resume and the cache
    are this), with the others counted as cached on the stats and the progress bar."""
    stats = ExecutionStats(planned=len(units))
    answered = store.answered_keys(u.key for u in units)
    stats.cached = len(answered)
    progress.advance(cached=stats.cached, steps=stats.cached)
    return stats, [u for u in units if u.key not in answered]


async def call_model(unit: WorkUnit) -> Response:
    if isinstance(unit.request, LoglikelihoodRequest):
        return await unit.model.loglikelihood(unit.request)
    return await unit.model.generate(unit.request)


async def answer_unit(
    unit: WorkUnit,
    writer: AnswerWriter,
    run_id: str,
    policy: RetryPolicy,
    stats: ExecutionStats,
    *,
    gate: asyncio.Semaphore | None = None,
) -> Response | UnitFailure:
    """Ask the model (within `gate`, the model's concurrency), retrying what is transient; hand the
    answer (under the unit's key), or the error with its reason, to `writer` for its next batch.
    The counts on `stats` are of answers handed over: the writer commits them all, or raises."""

    def count_retry(*_: object) -> None:
        stats.sent += 1

    started = time.perf_counter()
    try:
        stats.sent += 1
        if gate is None:
            result, attempts = await call_with_retries(lambda: call_model(unit), policy, on_retry=count_retry)
        else:
            async with gate:
                started = time.perf_counter()
                result, attempts = await call_with_retries(
                    lambda: call_model(unit), policy, on_retry=count_retry
                )
    except ModelRequestError as exc:
        attempts = getattr(exc, "attempts", 1)
        writer.add_error(run_id, unit.key, exc.reason, attempts=attempts)
        stats.errors += 1
        return UnitFailure(exc.reason, attempts)
    latency = time.perf_counter() - started
    writer.add_response(unit.key, to_jsonable(result), latency_s=latency, attempts=attempts)
    stats.answered += 1
    stats.tokens_evaluated += getattr(result, "tokens_evaluated", None) or 0
    return result
