"""Model calls that are not planned up front (a judge's verdicts, PairS comparisons) still go through the
engine: each call becomes a keyed unit of an open run, answered from the store when it is there, else
asked with retries and written once. A crash loses nothing answered; running again asks only the rest.

Each answer is committed before the call returns (a judge's verdict is durable once it is used), but
off the event loop: the session's `AnswerWriter` commits the answers of calls that finish together
in one transaction.

`RoutedModel` wraps a backend so code written against the `Model` protocol (a judge) gets all of this
without knowing: a failed call raises `ModelRequestError` after its error is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from assay.core.errors import AssayError, ModelRequestError
from assay.core.keys import content_key, unit_key
from assay.core.protocols import Model
from assay.core.spec import RunPlan, RunSpec, RunSummary, TaskConfig
from assay.core.types import (
    GenerateRequest,
    Generation,
    LoglikelihoodRequest,
    LoglikelihoodResult,
    Request,
    Response,
    Sample,
    response_from_json,
    to_jsonable,
)
from assay.engine.calls import ExecutionStats, UnitFailure, answer_unit
from assay.engine.plan import WorkUnit
from assay.engine.retry import RetryPolicy
from assay.engine.run import unit_record
from assay.engine.writer import AnswerWriter
from assay.store import Store

OnAnswer = Callable[[], None]


class EngineSession:
    """An open run whose units arrive one call at a time."""

    def __init__(self, store: Store, run_id: str, policy: RetryPolicy) -> None:
        self.store = store
        self.run_id = run_id
        self.policy = policy
        self.stats = ExecutionStats()
        self._writer = AnswerWriter(store)
        self._gates: dict[int, asyncio.Semaphore] = {}
        # A key asked again while its first call is still out waits for that call, not the model.
        self._in_flight: dict[str, asyncio.Future[Response | UnitFailure]] = {}
        self._position = 0

    @classmethod
    def open(cls, store: Store, spec: RunSpec, *, kind: str, models: tuple[Model, ...] = ()) -> EngineSession:
        plan = RunPlan(kind=kind, model_identities={m.name: m.identity for m in models})
        run_id = store.create_run(spec, plan)
        return cls(store, run_id, RetryPolicy(max_attempts=spec.max_attempts, timeout=spec.timeout))

    def summary(self) -> RunSummary:
        """The counts so far: calls planned, answered from the store, sent (retries included), failed."""
        s = self.stats
        return RunSummary(
            planned=s.planned,
            cached=s.cached,
            sent=s.sent,
            answered=s.answered,
            errors=s.errors,
            tokens_evaluated=s.tokens_evaluated,
        )

    @property
    def status(self) -> str:
        return "done" if self.stats.errors == 0 else "done_with_errors"

    def finish(self, *, failed: bool = False, interrupted: bool = False) -> None:
        """Close the run: "failed" or "interrupted" (Ctrl-C; no summary either way) when the caller
        stopped early, else done (with errors, if a call failed after retries)."""
        stopped = failed or interrupted
        status = "interrupted" if interrupted else "failed" if failed else self.status
        try:
            self._writer.close()  # every answer was committed with its call: this stops the thread
            self.store.finish_run(self.run_id, status, None if stopped else self.summary())
        except AssayError:
            if not stopped:
                raise

    async def answer(self, unit: WorkUnit) -> Response | UnitFailure:
        """The stored answer for the unit's key, else the model's (stored now), else the failure."""
        self.store.add_units(self.run_id, [unit_record(unit)], first_position=self._position)
        self._position += 1
        self.stats.planned += 1
        pending = self._in_flight.get(unit.key)
        if pending is not None:
            self.stats.cached += 1
            return await asyncio.shield(pending)
        stored = self.store.responses([unit.key]).get(unit.key)
        if stored is not None:
            self.stats.cached += 1
            return response_from_json(stored)
        pending = asyncio.get_running_loop().create_future()
        self._in_flight[unit.key] = pending
        try:
            outcome = await self._ask(unit)
        except asyncio.CancelledError:
            pending.cancel()
            raise
        except BaseException as exc:
            pending.set_exception(exc)
            pending.exception()  # retrieved here, so a future nobody waits on logs nothing
            raise
        finally:
            del self._in_flight[unit.key]
        pending.set_result(outcome)
        return outcome

    async def _ask(self, unit: WorkUnit) -> Response | UnitFailure:
        gate = self._gates.setdefault(id(unit.model), asyncio.Semaphore(max(1, unit.model.max_concurrency)))
        outcome = await answer_unit(unit, self._writer, self.run_id, self.policy, self.stats, gate=gate)
        await self._writer.flush()  # stored before anyone uses it, so a crash loses no verdict
        return outcome


class RoutedModel(Model):
    """A backend whose every call is a unit of `session` (task `task_name`, version `task_version`)."""

    def __init__(
        self,
        model: Model,
        session: EngineSession,
        *,
        task_name: str,
        task_version: str,
        on_answer: OnAnswer | None = None,
    ) -> None:
        self.inner = model
        self.session = session
        self.name = model.name
        self.identity = model.identity
        self.max_concurrency = model.max_concurrency
        self.task_name = task_name
        self.task_version = task_version
        self.on_answer = on_answer

    def unit(self, request: Request) -> WorkUnit:
        payload = to_jsonable(request)
        sample_id = content_key(payload)[:16]
        key = unit_key(
            model_identity=self.identity,
            task_name=self.task_name,
            task_version=self.task_version,
            sample_id=sample_id,
            request=payload,
            seed=None,
        )
        readable = request.context if isinstance(request, LoglikelihoodRequest) else _prompt_text(request)
        return WorkUnit(
            key=key,
            model_name=self.name,
            model=self.inner,
            task_name=self.task_name,
            task_version=self.task_version,
            sample=Sample(id=sample_id, input=readable),
            request=request,
        )

    async def _ask(self, request: Request) -> Response:
        outcome = await self.session.answer(self.unit(request))
        if self.on_answer is not None:
            self.on_answer()
        if isinstance(outcome, UnitFailure):
            error = ModelRequestError(outcome.reason, retryable=False)
            error.attempts = outcome.attempts  # type: ignore[attr-defined]
            raise error
        return outcome

    async def generate(self, request: GenerateRequest) -> Generation:
        response = await self._ask(request)
        assert isinstance(response, Generation)
        return response

    async def loglikelihood(self, request: LoglikelihoodRequest) -> LoglikelihoodResult:
        response = await self._ask(request)
        assert isinstance(response, LoglikelihoodResult)
        return response

    async def stream(self, request: GenerateRequest) -> AsyncIterator[str]:
        yield (await self.generate(request)).text

    async def aclose(self) -> None:
        await self.inner.aclose()


def _prompt_text(request: GenerateRequest) -> str:
    if request.messages is not None:
        return request.messages[-1].content
    return request.prompt or ""


def session_spec(model: str, task: str, options: dict[str, Any], **run: Any) -> RunSpec:
    """The run record of a session: the model, one pseudo-task naming what the calls are for."""
    return RunSpec(models=(model,), tasks=(TaskConfig(task, options),), **run)
