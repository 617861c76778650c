"""The agent loop: ask the model, carry out its tool call in the session, show it the result, until it
submits or a limit (turns, tokens, wall time) stops it. Each turn is stored once under the unit's key
before the next starts, with the files' state after it, so a killed run resumes after its last stored
turn: the conversation is rebuilt from the transcript and the working directory from the state.

When the loop stops, the unit's answer is written: a JSON record of the change to the files, why it
stopped, and the counts. A model call that fails after retries is recorded as the unit's error (never
scored); its turns so far stay, and the next run goes on from them.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assay.core.errors import ModelRequestError
from assay.core.types import GenerateRequest, Generation, Message, message_from_json, to_jsonable
from assay.engine.agent.acting import act
from assay.engine.agent.tools import AgentSession
from assay.engine.calls import ExecutionStats, UnitFailure
from assay.engine.plan import WorkUnit
from assay.engine.retry import RetryPolicy, call_with_retries
from assay.store import Store
from assay.store.transcripts import put_turn, turns
from assay.tasks.agent.problem import AgentProblem
from assay.tasks.agent.protocol import system_prompt
from assay.tasks.agent.task import AgentTask
from assay.tasks.agent.workspace import Change, apply_change, change_between, unified_diff

AGENTS_AT_ONCE = 2  # attempts played at once; each spends most of a turn waiting


@dataclass
class Progress:
    """Where an attempt stands: the conversation, the counts, the files' change, why it stopped."""

    messages: list[Message]
    change: Change = field(default_factory=Change)
    turns: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tool_calls: int = 0
    tool_errors: int = 0
    seconds: float = 0.0
    stop: str | None = None

    def absorb(self, record: dict[str, Any]) -> None:
        """Take in one stored turn."""
        self.messages.extend(message_from_json(m) for m in record["messages"])
        self.change = Change.from_json(record["change"])
        self.turns = record["turn"]
        self.prompt_tokens += record["prompt_tokens"]
        self.completion_tokens += record["completion_tokens"]
        self.tool_calls += int(record.get("call") is not None or record.get("error", False))
        self.tool_errors += int(record.get("error", False))
        self.seconds += record["seconds"]
        self.stop = record.get("stop")

    def limit_reached(self, task: AgentTask) -> str | None:
        limits = task.limits
        if self.turns >= limits.max_turns:
            return "max_turns"
        if self.prompt_tokens + self.completion_tokens >= limits.max_tokens:
            return "max_tokens"
        if self.seconds >= limits.wall_seconds:
            return "wall_time"
        return None


def uses_tools_api(unit: WorkUnit) -> bool:
    """Whether the unit offers tools and its backend takes them through a tools API."""
    assert isinstance(unit.request, GenerateRequest)
    return bool(unit.request.tools) and bool(getattr(unit.model, "supports_tools", False))


def resume(unit: WorkUnit, store: Store) -> Progress:
    """The attempt as its stored turns left it (a fresh one when none are stored). Tools offered to a
    backend without a tools API are taught as the text protocol instead."""
    assert isinstance(unit.request, GenerateRequest) and unit.request.messages is not None
    messages = list(unit.request.messages)
    if unit.request.tools and not uses_tools_api(unit):
        messages[0] = Message("system", system_prompt(tools_api=False))
    progress = Progress(messages=messages)
    for record in turns(store, unit.key):
        progress.absorb(record)
    return progress


@dataclass
class Attempt:
    """What one turn needs: the unit and its task, the session, and where answers and errors go."""

    unit: WorkUnit
    task: AgentTask
    problem: AgentProblem
    session: AgentSession
    store: Store
    run_id: str
    policy: RetryPolicy
    stats: ExecutionStats


async def run_agent_unit(
    unit: WorkUnit, task: AgentTask, store: Store, run_id: str, policy: RetryPolicy, stats: ExecutionStats
) -> Generation | UnitFailure:
    """Play (or finish) the unit's attempt and store its answer, or its error."""
    problem = task.problem(unit.sample)
    progress = resume(unit, store)
    if progress.stop is None:
        session = AgentSession(apply_change(problem.files, progress.change), task.limits.tool,
                               unsafe_no_sandbox=task.unsafe_no_sandbox)  # fmt: skip
        attempt = Attempt(unit, task, problem, session, store, run_id, policy, stats)
        try:
            while progress.stop is None:
                progress.stop = progress.limit_reached(task)
                if progress.stop is None and (failure := await _turn(attempt, progress)) is not None:
                    return failure
        finally:
            session.close()
    answer = final_answer(problem, progress)
    store.put_response(unit.key, to_jsonable(answer), latency_s=progress.seconds, attempts=1)
    stats.answered += 1
    return answer


async def _turn(attempt: Attempt, progress: Progress) -> UnitFailure | None:
    """One turn: the model's reply, its tool call carried out, the turn stored."""
    unit = attempt.unit
    assert isinstance(unit.request, GenerateRequest)
    started = time.perf_counter()
    tools = unit.request.tools if uses_tools_api(unit) else ()
    request = GenerateRequest(messages=tuple(progress.messages), params=unit.request.params, tools=tools)
    try:
        attempt.stats.sent += 1
        reply, _ = await call_with_retries(lambda: unit.model.generate(request), attempt.policy)
    except ModelRequestError as exc:
        attempts = getattr(exc, "attempts", 1)
        attempt.store.put_error(attempt.run_id, unit.key, exc.reason, attempts=attempts)
        attempt.stats.errors += 1
        return UnitFailure(exc.reason, attempts)
    done = await act(reply, attempt.session, attempt.task.limits.output_chars)
    call = done.call
    record = {
        "reply": reply.text,
        "call": None if call is None else {"name": call.name, "arguments": call.arguments, "id": call.id},
        "observation": done.observation,
        "error": done.error,
        "prompt_tokens": reply.prompt_tokens or 0,
        "completion_tokens": reply.completion_tokens or max(1, len(reply.text) // 4),
        "seconds": round(time.perf_counter() - started, 3),
        "change": change_between(attempt.problem.files, attempt.session.files()).to_json(),
        "stop": "disk_full" if attempt.session.ended else done.stop,
        "messages": [to_jsonable(m) for m in done.messages],
    }
    put_turn(attempt.store, unit.key, progress.turns + 1, record)
    progress.absorb({**record, "turn": progress.turns + 1})
    return None


def final_answer(problem: AgentProblem, progress: Progress) -> Generation:
    final = apply_change(problem.files, progress.change)
    record = {
        "stop": progress.stop,
        "turns": progress.turns,
        "tool_calls": progress.tool_calls,
        "tool_errors": progress.tool_errors,
        "change": progress.change.to_json(),
        "diff": unified_diff(problem.files, final),
    }
    return Generation(
        text=json.dumps(record),
        finish_reason=progress.stop,
        prompt_tokens=progress.prompt_tokens,
        completion_tokens=progress.completion_tokens,
    )


async def run_agent_units(
    units: list[WorkUnit],
    tasks: dict[str, AgentTask],
    store: Store,
    run_id: str,
    policy: RetryPolicy,
    on_done: Callable[[bool], None] | None = None,
) -> ExecutionStats:
    """Play every unit not yet answered (a few at a time: each turn waits on the model or a sandbox
    run); units answered before count as cached."""
    stats = ExecutionStats(planned=len(units))
    answered = store.answered_keys(u.key for u in units)
    stats.cached = len(answered)
    gate = asyncio.Semaphore(AGENTS_AT_ONCE)

    async def play(unit: WorkUnit) -> None:
        async with gate:
            outcome = await run_agent_unit(unit, tasks[unit.task_name], store, run_id, policy, stats)
        if on_done is not None:
            on_done(isinstance(outcome, UnitFailure))

    await asyncio.gather(*(play(u) for u in units if u.key not in answered))
    return stats
