"""Any server that speaks the OpenAI HTTP API: OpenAI itself, vLLM, llama.cpp's servers, Ollama, LM Studio.

Generation uses /chat/completions (chat requests, or plain prompts in "chat" mode) or /completions;
`stream` asks the same endpoint for Server-Sent Events. Log-likelihood needs a server that echoes
prompt log-probabilities on /completions.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
from collections.abc import AsyncIterator
from typing import Any, Literal

import httpx

from assay.core.errors import AssayError, ModelRequestError, ModelUnsupportedError
from assay.core.protocols import Model
from assay.core.registry import model_backends
from assay.core.types import (
    ContinuationScore,
    FunctionCall,
    GenerateRequest,
    Generation,
    LoglikelihoodRequest,
    LoglikelihoodResult,
    Message,
    ModelSpec,
    ToolSpec,
)
from assay.models.http_errors import (
    bad_answer,
    error_from_response,
    error_from_transport,
    error_in_body,
    redirected,
    unreadable_body,
)
from assay.models.http_pool import ClientPool
from assay.models.sse import answer_pieces, sse_data

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
Mode = Literal["chat", "completion"]

# A prompt whose next token any language model knows; used once to check prompt log-probabilities.
_PROBE_PROMPT = "1, 2, 3, 4, 5, 6, 7,"


class OpenAICompatModel(Model):
    # Chat requests carry `GenerateRequest.tools` as the OpenAI tools API does, and answers give back
    # `tool_calls`; a server without tools support refuses them (agent tasks then take tools_api=false).
    supports_tools = True

    def __init__(
        self,
        name: str,
        *,
        model: str,
        base_url: str,
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        mode: Mode = "completion",
        timeout: float = 120.0,
        max_concurrency: int = 4,
    ) -> None:
        if mode not in ("chat", "completion"):
            raise AssayError(f"model {name!r}: mode must be 'chat' or 'completion', not {mode!r}")
        self.name = name
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.mode: Mode = mode
        self.timeout = float(timeout)
        self.max_concurrency = max(1, int(max_concurrency))
        self.api_key_env = api_key_env
        self.identity: dict[str, Any] = {
            "backend": "openai",
            "base_url": self.base_url,
            "model": model,
            "mode": mode,
        }
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._clients: ClientPool | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._probe_lock: asyncio.Lock | None = None
        self._prompt_logprobs_checked = False

    # -- HTTP plumbing -------------------------------------------------------------------------

    def _http(self) -> ClientPool:
        # A client's connections belong to one event loop; a caller on a new loop gets new clients.
        loop = asyncio.get_running_loop()
        if self._clients is None or self._client_loop is not loop:
            self._clients = ClientPool(self.max_concurrency, headers=self._headers, timeout=self.timeout)
            self._client_loop = loop
            self._probe_lock = asyncio.Lock()
        return self._clients

    def _url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        url = self._url(path)
        try:
            async with self._http().client() as client:
                response = await client.post(url, json={"model": self.model, **body})
        except httpx.TransportError as exc:
            raise error_from_transport(exc, url, self.timeout) from None
        return self._answer_json(response, url)

    def _answer_json(self, response: httpx.Response, url: str) -> dict[str, Any]:
        """The body of a finished response with `choices`; any other answer as a ModelRequestError.

        Retried (transient): a success status with a body that is not JSON, or JSON without `choices`
        and without an error (an HTML page from a proxy, an answer cut short, a gateway's own JSON).
        Not retried: an error object that means the request is refused, a redirect, and `choices` of
        another shape (a server speaking another dialect answers the same way every time).
        """
        if response.status_code >= 400:
            raise error_from_response(response, url, model=self.model, api_key_env=self.api_key_env)
        if 300 <= response.status_code < 400:
            raise redirected(response, url)
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise unreadable_body(response, url) from None
        if isinstance(data, dict) and data.get("error") and not data.get("choices"):
            what = f"the server answered HTTP {response.status_code} with an error"
            raise error_in_body(data["error"], url, what=what)
        choices = data.get("choices") if isinstance(data, dict) else None
        if not choices:
            raise bad_answer("no 'choices' in the answer", response, url)
        if not isinstance(choices, list) or not isinstance(choices[0], dict):
            raise ModelRequestError(
                f"unexpected response from {url}: 'choices' is not a list of objects",
                retryable=False,
                status=response.status_code,
            )
        return data

    async def check_reachable(self) -> None:
        """Fail early, with one line, when the server is down or refuses our key."""
        url = self._url("/models")
        try:
            async with self._http().client() as client:
                response = await client.get(url, timeout=min(self.timeout, 15.0))
        except httpx.TransportError as exc:
            reason = error_from_transport(exc, url, min(self.timeout, 15.0)).reason
            raise AssayError(f"cannot reach OpenAI-compatible server at {self.base_url}: {reason}") from None
        # Some servers have no /models; any answer but an auth failure or a server error will do.
        if response.status_code in (401, 403) or response.status_code >= 500:
            error = error_from_response(response, url, model=self.model, api_key_env=self.api_key_env)
            raise AssayError(f"cannot use OpenAI-compatible server at {self.base_url}: {error.reason}")

    async def aclose(self) -> None:
        clients, self._clients = self._clients, None
        if clients is not None and self._client_loop is asyncio.get_running_loop():
            await clients.aclose()
        self._client_loop = None

    # -- generation ----------------------------------------------------------------------------

    def _generation_call(self, request: GenerateRequest) -> tuple[str, dict[str, Any]]:
        """The endpoint and body for a generation, streamed or not."""
        p = request.params
        body: dict[str, Any] = {"max_tokens": p.max_tokens, "temperature": p.temperature, "top_p": p.top_p}
        if p.stop:
            body["stop"] = list(p.stop)
        if p.seed is not None:
            body["seed"] = p.seed
        if request.messages is not None or self.mode == "chat":
            messages = request.messages or (Message("user", request.prompt or ""),)
            body["messages"] = [_wire_message(m) for m in messages]
            if request.tools:
                body["tools"] = [_wire_tool(t) for t in request.tools]
            return "/chat/completions", body
        body["prompt"] = request.prompt
        return "/completions", body

    async def generate(self, request: GenerateRequest) -> Generation:
        path, body = self._generation_call(request)
        data = await self._post(path, body)
        usage = data.get("usage") or {}
        return Generation(
            text=_text_of(data, chat=path == "/chat/completions"),
            finish_reason=data["choices"][0].get("finish_reason"),
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            tool_calls=_tool_calls_of(data) if request.tools else (),
        )

    async def stream(self, request: GenerateRequest) -> AsyncIterator[str]:
        """The answer as the server makes it. A failure before the first piece is the ModelRequestError
        `generate` would raise; the timeout bounds each wait for the next piece, not the whole answer."""
        path, body = self._generation_call(request)
        url, chat = self._url(path), path == "/chat/completions"
        try:
            async with (
                self._http().client() as client,
                client.stream("POST", url, json={"model": self.model, **body, "stream": True}) as response,
            ):
                events = response.headers.get("content-type", "").startswith("text/event-stream")
                if response.status_code >= 400 or not events:
                    await response.aread()  # an error, or a server that ignores `stream`: one piece
                    yield _text_of(self._answer_json(response, url), chat=chat)
                    return
                async for piece in answer_pieces(sse_data(response.aiter_lines()), url, chat=chat):
                    yield piece
        except httpx.TransportError as exc:
            raise error_from_transport(exc, url, self.timeout) from None

    # -- log-likelihood ------------------------------------------------------------------------

    async def loglikelihood(self, request: LoglikelihoodRequest) -> LoglikelihoodResult:
        if request.messages is not None:
            # The OpenAI API has no way to render a chat template without generating from it.
            raise ModelUnsupportedError(
                f"model {self.name!r}: an OpenAI-compatible server cannot score choices after its chat "
                "template; use --prompt-mode completion (or auto) for log-likelihood tasks"
            )
        await self._check_prompt_logprobs()
        context, continuations = _split_trailing_space(request.context, request.continuations)
        results = await asyncio.gather(*(self._score(context, c, request.per_token) for c in continuations))
        return LoglikelihoodResult(
            scores=tuple(score for score, _ in results), tokens_evaluated=sum(n for _, n in results)
        )

    async def _score(
        self, context: str, continuation: str, per_token: bool = False
    ) -> tuple[ContinuationScore, int]:
        """log P(continuation | context) from one echoed prompt; returns (score, prompt tokens sent)."""
        if not continuation:
            return ContinuationScore(logprob=0.0, num_tokens=0, is_greedy=True), 0
        prompt = context + continuation
        # max_tokens=1, not 0: several servers (llama-cpp-python among them) read 0 as "no limit".
        data = await self._post(
            "/completions",
            {"prompt": prompt, "echo": True, "logprobs": 1, "max_tokens": 1, "temperature": 0.0},
        )
        logprobs = data["choices"][0].get("logprobs")
        logprobs = logprobs if isinstance(logprobs, dict) else {}
        offsets, values = logprobs.get("text_offset"), logprobs.get("token_logprobs")
        if not offsets or not values or len(offsets) != len(values):
            raise ModelUnsupportedError(
                f"model {self.name!r} at {self.base_url} returns no prompt "
                "log-probabilities (echo + logprobs); log-likelihood tasks need them"
            )
        picked = _continuation_positions(offsets, len(context), len(prompt))
        if not picked:
            raise ModelUnsupportedError(
                f"model {self.name!r} at {self.base_url} did not echo the prompt's "
                "tokens, which log-likelihood tasks need"
            )
        if any(values[i] is None for i in picked):
            raise ModelUnsupportedError(
                f"model {self.name!r} at {self.base_url} gives no log-probability "
                "for the first prompt token; use a non-empty context"
            )
        tops = list(logprobs.get("top_logprobs") or [])
        tops += [None] * (len(values) - len(tops))
        logprob = math.fsum(float(values[i]) for i in picked)
        greedy = all(_is_top(float(values[i]), tops[i]) for i in picked)
        sent = (data.get("usage") or {}).get("prompt_tokens") or len(offsets)
        # The server tells only the chosen tokens' log-probabilities, not the whole distribution.
        each = tuple(float(values[i]) for i in picked) if per_token else None
        score = ContinuationScore(
            logprob=logprob, num_tokens=len(picked), is_greedy=greedy, token_logprobs=each
        )
        return score, int(sent)

    async def _check_prompt_logprobs(self) -> None:
        """Once per model: the echoed log-probability of the greedy next token must match the one the
        server reports when generating it. llama-cpp-python's server, for a model that adds no BOS
        token, shifts echoed values by one position; scoring with them would be silently wrong."""
        if self._prompt_logprobs_checked:
            return
        self._http()
        assert self._probe_lock is not None
        async with self._probe_lock:
            if self._prompt_logprobs_checked:
                return
            try:
                await self._probe_prompt_logprobs()
            except ModelRequestError as exc:
                if exc.status not in (400, 422):
                    raise
                raise ModelUnsupportedError(
                    f"model {self.name!r} at {self.base_url} refused a log-probability request: {exc.reason}"
                ) from None
            self._prompt_logprobs_checked = True

    async def _probe_prompt_logprobs(self) -> None:
        data = await self._post(
            "/completions", {"prompt": _PROBE_PROMPT, "max_tokens": 1, "temperature": 0.0, "logprobs": 1}
        )
        generated = data["choices"][0].get("logprobs") or {}
        tokens, values = generated.get("tokens") or [], generated.get("token_logprobs") or []
        if not (tokens and values and tokens[0] and values[0] is not None):
            return  # nothing to compare with; _score still refuses a body without prompt logprobs
        echoed, _ = await self._score(_PROBE_PROMPT, tokens[0])
        expected = float(values[0])
        if abs(echoed.logprob - expected) > 0.1 + 0.05 * abs(expected):
            raise ModelUnsupportedError(
                f"model {self.name!r} at {self.base_url}: echoed prompt log-probabilities disagree with "
                f"generation ({echoed.logprob:.3f} vs {expected:.3f}), so they are misaligned; for "
                "llama-cpp-python restart the server with "
                "--kv_overrides tokenizer.ggml.add_bos_token=bool:true"
            )


def _wire_message(message: Message) -> dict[str, Any]:
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        wire["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ]
    if message.tool_call_id is not None:
        wire["tool_call_id"] = message.tool_call_id
    return wire


def _wire_tool(tool: ToolSpec) -> dict[str, Any]:
    function = {"name": tool.name, "description": tool.description, "parameters": json.loads(tool.parameters)}
    return {"type": "function", "function": function}


def _tool_calls_of(data: dict[str, Any]) -> tuple[FunctionCall, ...]:
    """The answer's tool calls; a malformed entry is skipped (the agent then sees no call)."""
    message = data["choices"][0].get("message") or {}
    calls = []
    for n, call in enumerate(message.get("tool_calls") or ()):
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            arguments = function.get("arguments")
            text = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
            calls.append(
                FunctionCall(id=str(call.get("id") or f"call_{n}"), name=function["name"], arguments=text)
            )
    return tuple(calls)


def _text_of(data: dict[str, Any], *, chat: bool) -> str:
    """The generated text of a finished (not streamed) answer."""
    try:
        choice = data["choices"][0]
        value = choice["message"].get("content") if chat else choice.get("text")
    except (KeyError, IndexError, TypeError, AttributeError):
        raise ModelRequestError(
            "unexpected response shape: no generated text in 'choices'", retryable=False
        ) from None
    return str(value or "")


def _split_trailing_space(context: str, continuations: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    # "Answer: " + "B" scores better as "Answer:" + " B": tokenizers attach the space to the word.
    stripped = context.rstrip(" ")
    moved = context[len(stripped) :]
    return stripped, tuple(moved + c for c in continuations)


def _continuation_positions(offsets: list[int], context_len: int, prompt_len: int) -> list[int]:
    """Indices of echoed prompt tokens that cover the continuation.

    A token that straddles the context/continuation boundary counts as continuation; tokens at or
    beyond the end of the prompt are the server's generated token and are left out.
    """
    picked = []
    for i, start in enumerate(offsets):
        end = offsets[i + 1] if i + 1 < len(offsets) else math.inf
        if start < prompt_len and end > context_len:
            picked.append(i)
    return picked


def _is_top(value: float, top: dict[str, float] | None) -> bool:
    if not top:
        return False
    return value >= max(top.values()) - 1e-6


@model_backends.register("openai")
def build_openai(spec: ModelSpec) -> OpenAICompatModel:
    base_url = spec.arg("base_url") or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
    key_env = str(spec.arg("api_key_env", "OPENAI_API_KEY"))
    return OpenAICompatModel(
        spec.name,
        model=str(spec.arg("model") or spec.name),
        base_url=str(base_url),
        api_key=os.environ.get(key_env) or None,
        api_key_env=key_env,
        mode=spec.arg("mode", "completion"),
        timeout=float(spec.arg("timeout", 120)),
        max_concurrency=int(spec.arg("max_concurrency", 4)),
    )
