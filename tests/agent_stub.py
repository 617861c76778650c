"""A scripted agent behind a real OpenAI chat-completions server, for agent tests: the server speaks
the wire format (`/v1/models`, `/v1/chat/completions`, usage counts) and answers each request with
`script(messages)`, the reply text of the agent whose conversation that is. Threads, not a process,
so a test can hand it any function."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# The agent's reply: its text, or a whole assistant message (e.g. with `tool_calls`).
Script = Callable[[list[dict[str, Any]]], str | dict[str, Any]]


class AgentStub:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, payload: dict[str, Any], status: int = 200) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._send({"object": "list", "data": [{"id": "agent", "object": "model"}]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                stub.requests.append(body)
                try:
                    said = stub.script(body["messages"])
                except Exception as exc:  # the script says "fail this call": a server error
                    self._send({"error": {"message": str(exc)}}, status=500)
                    return
                self._send({
                    "id": "agent-1", "object": "chat.completion", "created": 0, "model": "agent",
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": said if isinstance(said, dict)
                                 else {"role": "assistant", "content": said}}],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
                })  # fmt: skip

        return Handler

    def __enter__(self) -> AgentStub:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def function_call(name: str, call_id: str = "call_1", **arguments: str) -> dict[str, Any]:
    """A reply calling `name` through the tools API."""
    function = {"name": name, "arguments": json.dumps(arguments)}
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": call_id, "type": "function", "function": function}],
    }


def tool(name: str, **arguments: str) -> str:
    """A reply calling `name` through the text protocol."""
    return f"I will use {name}.\n```tool {name}\n{json.dumps(arguments)}\n```"
