"""The records that flow through assay: samples in, requests out, responses back, scores last.

All frozen so a record that has been keyed or stored cannot change under us.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]
# A field added after records were keyed and stored: left out of a record's JSON while it holds its
# default (an empty tuple, None, False), so every key and stored row made before the field existed
# stays the same.
OMIT_DEFAULT = {"omit_default": True}


@dataclass(frozen=True)
class FunctionCall:
    """A tool call as a tools API gives it: the call's id, the tool's name, its arguments as JSON text."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ToolSpec:
    """A tool offered to a backend with a tools API; `parameters` is a JSON Schema, as JSON text."""

    name: str
    description: str
    parameters: str


@dataclass(frozen=True)
class Message:
    role: Role
    content: str
    # An assistant turn's tool calls, and on a "tool" message the id of the call it answers.
    tool_calls: tuple[FunctionCall, ...] = field(default=(), metadata=OMIT_DEFAULT)
    tool_call_id: str | None = field(default=None, metadata=OMIT_DEFAULT)


@dataclass(frozen=True)
class GenerationParams:
    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = 0


@dataclass(frozen=True)
class GenerateRequest:
    """Either a plain completion `prompt` or a chat `messages` list, never both."""

    params: GenerationParams = field(default_factory=GenerationParams)
    prompt: str | None = None
    messages: tuple[Message, ...] | None = None
    kind: Literal["generate"] = "generate"
    # Tools for a backend with a tools API (one that says `supports_tools = True`); others ignore them.
    tools: tuple[ToolSpec, ...] = field(default=(), metadata=OMIT_DEFAULT)

    def __post_init__(self) -> None:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("GenerateRequest needs exactly one of prompt or messages")

    @property
    def is_chat(self) -> bool:
        return self.messages is not None


@dataclass(frozen=True)
class LoglikelihoodRequest:
    """Log-probability of each continuation given one shared context.

    The choices travel together so a backend can evaluate the shared context once. With `messages`,
    the context is those turns rendered through the model's own chat template with the assistant's
    turn opened (`context` then keeps a readable copy of the last user turn, for reports).
    """

    context: str
    continuations: tuple[str, ...]
    messages: tuple[Message, ...] | None = None
    kind: Literal["loglikelihood"] = "loglikelihood"
    # Ask for each token's log-probability (and, where the backend has the whole distribution, its
    # mean and spread), as membership tests such as Min-K% need.
    per_token: bool = field(default=False, metadata=OMIT_DEFAULT)


Request = GenerateRequest | LoglikelihoodRequest


@dataclass(frozen=True)
class Generation:
    text: str
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    kind: Literal["generate"] = "generate"
    tool_calls: tuple[FunctionCall, ...] = field(default=(), metadata=OMIT_DEFAULT)


@dataclass(frozen=True)
class ContinuationScore:
    logprob: float
    num_tokens: int
    is_greedy: bool
    # With `per_token` requests: each token's log-probability, and the mean and standard deviation of
    # log p over the vocabulary at that position (None when the backend only knows the chosen token).
    token_logprobs: tuple[float, ...] | None = field(default=None, metadata=OMIT_DEFAULT)
    token_means: tuple[float, ...] | None = field(default=None, metadata=OMIT_DEFAULT)
    token_stds: tuple[float, ...] | None = field(default=None, metadata=OMIT_DEFAULT)


@dataclass(frozen=True)
class LoglikelihoodResult:
    scores: tuple[ContinuationScore, ...]
    # Tokens the backend actually pushed through the model for this request (prefix reuse shows here).
    tokens_evaluated: int | None = None
    kind: Literal["loglikelihood"] = "loglikelihood"


Response = Generation | LoglikelihoodResult


@dataclass(frozen=True)
class Sample:
    """One dataset item. `target` for generation tasks; `choices` + `answer_index` for multiple choice."""

    id: str
    input: str
    target: str | None = None
    choices: tuple[str, ...] | None = None
    answer_index: int | None = None
    metadata: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Score:
    """Per-sample metric values (higher is better unless the metric says otherwise)."""

    values: dict[str, float]
    extracted: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """What the user asked for: a backend and its arguments. Identity (for keys) comes from the model."""

    name: str
    backend: str
    args: tuple[tuple[str, Any], ...] = ()

    def arg(self, key: str, default: Any = None) -> Any:
        return dict(self.args).get(key, default)


def to_jsonable(record: Any) -> Any:
    """Dataclass -> plain dict/list structure, stable for hashing and storage."""
    if hasattr(record, "__dataclass_fields__"):
        return {
            f.name: to_jsonable(getattr(record, f.name))
            for f in fields(record)
            if not (f.metadata.get("omit_default") and getattr(record, f.name) == f.default)
        }
    if isinstance(record, dict):
        return {str(k): to_jsonable(v) for k, v in record.items()}
    if isinstance(record, list | tuple):
        return [to_jsonable(v) for v in record]
    return record


def message_from_json(data: dict[str, Any]) -> Message:
    calls = tuple(FunctionCall(**c) for c in data.get("tool_calls", ()))
    return Message(data["role"], data["content"], tool_calls=calls, tool_call_id=data.get("tool_call_id"))


def request_from_json(data: dict[str, Any]) -> Request:
    if data["kind"] == "loglikelihood":
        turns = data.get("messages")
        return LoglikelihoodRequest(
            context=data["context"],
            continuations=tuple(data["continuations"]),
            messages=tuple(message_from_json(m) for m in turns) if turns is not None else None,
            per_token=bool(data.get("per_token", False)),
        )
    params = GenerationParams(**{**data["params"], "stop": tuple(data["params"].get("stop", ()))})
    messages = data.get("messages")
    return GenerateRequest(
        params=params,
        prompt=data.get("prompt"),
        messages=tuple(message_from_json(m) for m in messages) if messages is not None else None,
        tools=tuple(ToolSpec(**t) for t in data.get("tools", ())),
    )


def response_from_json(data: dict[str, Any]) -> Response:
    if data["kind"] == "loglikelihood":
        return LoglikelihoodResult(
            scores=tuple(continuation_score_from_json(s) for s in data["scores"]),
            tokens_evaluated=data.get("tokens_evaluated"),
        )
    calls = tuple(FunctionCall(**c) for c in data.get("tool_calls", ()))
    return Generation(**{k: v for k, v in data.items() if k not in ("kind", "tool_calls")}, tool_calls=calls)


def continuation_score_from_json(data: dict[str, Any]) -> ContinuationScore:
    per_token = ("token_logprobs", "token_means", "token_stds")
    extra = {k: tuple(data[k]) for k in per_token if data.get(k) is not None}
    return ContinuationScore(data["logprob"], data["num_tokens"], data["is_greedy"], **extra)


def sample_from_json(data: dict[str, Any]) -> Sample:
    return Sample(
        id=data["id"],
        input=data["input"],
        target=data.get("target"),
        choices=tuple(data["choices"]) if data.get("choices") is not None else None,
        answer_index=data.get("answer_index"),
        metadata=tuple((k, v) for k, v in data.get("metadata", ())),
    )
