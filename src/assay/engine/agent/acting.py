"""One reply acted on: its tool call found (tools API or text protocol), carried out in the session,
and the messages that answer it made, in the form the backend understands."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from assay.core.types import Generation, Message
from assay.engine.agent.tools import AgentSession
from assay.tasks.agent.protocol import BadCall, ToolCall, from_function_call, parse_tool_call

NO_CALL = (
    "error: no tool call found. Reply with one fenced block: ```tool NAME, then the JSON arguments, "
    "then ```; call submit when you are done."
)
NOT_RUN = "error: one tool call per reply; this one was not run"


@dataclass(frozen=True)
class Act:
    """What a reply did: the call (if any), what the agent is shown, whether the call failed, why the
    loop stops (submit), and the messages this turn adds to the conversation."""

    call: ToolCall | None
    observation: str | None
    error: bool
    stop: str | None
    messages: tuple[Message, ...]


async def act(reply: Generation, session: AgentSession, output_chars: int) -> Act:
    said = Message("assistant", reply.text, tool_calls=reply.tool_calls)
    try:
        call = from_function_call(reply.tool_calls[0]) if reply.tool_calls else parse_tool_call(reply.text)
    except BadCall as exc:
        return _answered(said, reply, None, f"error: {exc}", error=True)
    if call is None:
        return _answered(said, reply, None, NO_CALL, error=True)
    if call.name == "submit":
        return Act(call, None, False, "submit", (said,))
    result = await asyncio.to_thread(session.call, call)
    shown = f"Result of {call.name}:\n{clip(result.output, output_chars)}"
    return _answered(said, reply, call, shown, error=result.error)


def _answered(said: Message, reply: Generation, call: ToolCall | None, shown: str, *, error: bool) -> Act:
    """The reply, then the answer: a tool message per call for a tools API (every call it made must be
    answered), else a user message."""
    if not reply.tool_calls:
        return Act(call, shown, error, None, (said, Message("user", shown)))
    first, *rest = reply.tool_calls
    answers = [Message("tool", shown, tool_call_id=first.id)]
    answers += [Message("tool", NOT_RUN, tool_call_id=c.id) for c in rest]
    return Act(call, shown, error, None, (said, *answers))


def clip(text: str, keep: int) -> str:
    """At most about `keep` characters: the head and the tail, with how much was cut between."""
    if len(text) <= keep:
        return text
    head = keep // 2
    return f"{text[:head]}\n[... {len(text) - keep} characters cut ...]\n{text[-(keep - head) :]}"
