"""The `agent` task: problems the model solves by acting with tools over many turns (run by the
engine's agent loop), scored by running their tests in the sandbox on the final files.

The unit's request is the opening of the conversation (system prompt with the tools, the goal); the
unit's answer, written by the loop when it stops, is a JSON record: the change to the files, why the
loop stopped, turns, tool calls and tool errors. Scoring needs only that record and the problem, so
a run can be re-scored from the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from assay.core.errors import ConfigError, DatasetError
from assay.core.flags import parse_flag
from assay.core.registry import tasks
from assay.core.types import GenerateRequest, GenerationParams, Message, Request, Response, Sample, Score
from assay.io import packaged_path
from assay.metrics import agentic as _agentic  # noqa: F401  (registers the aggregator)
from assay.sandbox import Limits
from assay.tasks.agent.files import read_swebench, read_task_file
from assay.tasks.agent.problem import AgentProblem, score_files
from assay.tasks.agent.protocol import system_prompt, tool_specs, user_prompt
from assay.tasks.agent.workspace import Change, apply_change

LIBRARY = ("assay.tasks.library", "agent/problems.yaml")


@dataclass(frozen=True)
class AgentLimits:
    """When the loop stops (besides a submit): turns, tokens over all turns, wall time over all turns;
    and each tool call's sandbox limits."""

    max_turns: int = 12
    max_tokens: int = 40_000
    wall_seconds: float = 600.0
    tokens_per_turn: int = 512
    output_chars: int = 2000  # of a tool's output shown to the agent (head and tail)
    tool: Limits = field(
        default_factory=lambda: Limits(cpu_seconds=10, wall_seconds=20, processes=32, output_chars=2000)
    )


@dataclass
class AgentTask:
    problems: dict[str, AgentProblem]
    limits: AgentLimits = field(default_factory=AgentLimits)
    attempts: int = 1
    temperature: float = 0.0
    price_in: float = 0.0  # USD per million prompt tokens (0: no cost reported)
    price_out: float = 0.0
    tools_api: bool = True  # use the backend's tools API when it has one
    unsafe_no_sandbox: bool = False
    name: str = "agent"
    version: str = "1"
    output_type: Literal["generate"] = "generate"
    metric_names: tuple[str, ...] = ("resolved", "turns", "tokens", "tool_errors", "submitted")
    aggregators: tuple[str, ...] = ("agentic",)
    executes_code: bool = True
    agentic: bool = True

    def problem(self, sample: Sample) -> AgentProblem:
        return self.problems[str(dict(sample.metadata)["problem"])]

    def samples(self) -> Iterator[Sample]:
        for pid, problem in self.problems.items():
            for k in range(self.attempts):
                sid = pid if self.attempts == 1 else f"{pid}#{k}"
                yield Sample(id=sid, input=problem.goal, metadata=(("problem", pid), ("attempt", k)))

    def build_request(self, sample: Sample, *, chat: bool) -> Request:
        problem = self.problem(sample)
        params = GenerationParams(max_tokens=self.limits.tokens_per_turn, temperature=self.temperature)
        attempt = dict(sample.metadata).get("attempt", 0)
        if attempt:  # repeated attempts differ by seed, so their keys (and answers) differ
            params = GenerationParams(
                max_tokens=self.limits.tokens_per_turn, temperature=self.temperature, seed=int(attempt)
            )
        messages = (
            Message("system", system_prompt(tools_api=self.tools_api)),
            Message("user", user_prompt(problem.goal, list(problem.files))),
        )
        # With tools_api the tools travel with the request (the loop falls back to the text protocol
        # for a backend without a tools API); either way the choice is part of the unit's key.
        return GenerateRequest(messages=messages, params=params, tools=tool_specs() if self.tools_api else ())

    def score(self, sample: Sample, response: Response) -> Score:
        record = json.loads(getattr(response, "text", "") or "{}")
        problem = self.problem(sample)
        final = apply_change(problem.files, Change.from_json(record.get("change", {})))
        outcome = score_files(problem, final, unsafe=self.unsafe_no_sandbox)
        if outcome.host_failure is not None:
            return Score(values={}, extracted=outcome.detail)
        prompt = float(getattr(response, "prompt_tokens", 0) or 0)
        completion = float(getattr(response, "completion_tokens", 0) or 0)
        values = {
            "resolved": float(outcome.resolved),
            "passed": float(outcome.resolved),
            "turns": float(record.get("turns", 0)),
            "tokens": prompt + completion,
            "tool_calls": float(record.get("tool_calls", 0)),
            "tool_errors": float(record.get("tool_errors", 0)),
            "submitted": float(record.get("stop") == "submit"),
        }
        if self.price_in or self.price_out:
            values["cost_usd"] = (prompt * self.price_in + completion * self.price_out) / 1e6
        return Score(values=values, extracted=f"{record.get('stop', '?')}; {outcome.detail}")


def load_problems(path: str | None, swebench: str | None) -> dict[str, AgentProblem]:
    if path and swebench:
        raise ConfigError("agent: give path= (a task file) or swebench= (instances), not both")
    if swebench:
        found = read_swebench(Path(swebench))
    else:
        found = read_task_file(Path(path) if path else packaged_path(*LIBRARY))
    return {p.id: p for p in found}


def _positive(name: str, value: Any) -> int:
    if not isinstance(value, int) or value < 1:
        raise ConfigError(f"agent.{name} must be a whole number of at least 1, not {value!r}")
    return value


@tasks.register("agent")
def agent(
    path: str | None = None,
    swebench: str | None = None,
    problems: str | None = None,
    attempts: int = 1,
    max_turns: int = 12,
    max_tokens: int = 40_000,
    wall_seconds: float = 600.0,
    tokens_per_turn: int = 512,
    temperature: float = 0.0,
    price_in: float = 0.0,
    price_out: float = 0.0,
    tools_api: bool = True,
    unsafe_no_sandbox: bool = False,
) -> AgentTask:
    """Agent problems (assay's own by default; path= a task file, swebench= SWE-bench instances;
    problems= a comma list of ids to keep): tools in the sandbox, many turns, scored by tests."""
    found = load_problems(path, swebench)
    if problems:
        wanted = [p.strip() for p in str(problems).split(",") if p.strip()]
        missing = [p for p in wanted if p not in found]
        if missing:
            raise DatasetError(f"agent: no problem {missing[0]!r} (known: {', '.join(sorted(found))})")
        found = {p: found[p] for p in wanted}
    if attempts > 1 and temperature <= 0:
        raise ConfigError("agent.attempts > 1 needs temperature > 0 (greedy attempts would be identical)")
    limits = AgentLimits(
        max_turns=_positive("max_turns", max_turns),
        max_tokens=_positive("max_tokens", max_tokens),
        wall_seconds=float(wall_seconds),
        tokens_per_turn=_positive("tokens_per_turn", tokens_per_turn),
    )
    return AgentTask(
        problems=found,
        limits=limits,
        attempts=_positive("attempts", attempts),
        temperature=float(temperature),
        price_in=float(price_in),
        price_out=float(price_out),
        tools_api=parse_flag(tools_api, "agent.tools_api"),
        unsafe_no_sandbox=parse_flag(unsafe_no_sandbox, "agent.unsafe_no_sandbox"),
    )
