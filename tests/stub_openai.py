"""A latency-bound OpenAI-compatible server for cluster tests and benchmarks: every answer takes a fixed
delay, as a remote model behind a network would, and costs no CPU, so throughput shows what the
executor adds. It speaks the real wire format (`/v1/models`, `/v1/chat/completions`,
`/v1/completions`, JSON or Server-Sent Events) and answers deterministically from the prompt, so two
runs give byte-identical responses; a sampled request (temperature > 0) is answered from the prompt
and its seed, so repeats with distinct seeds get varied answers, as from a real sampler. `/stats`
reports requests served and the most in flight at once.

Run as a process (`python tests/stub_openai.py --port 8123 --delay 0.2`) or through `StubServer`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

Receive = Any
Send = Any


class Stub:
    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.served = 0
        self.in_flight = 0
        self.max_in_flight = 0

    @staticmethod
    def answer(prompt: str) -> str:
        """Deterministic text: a number drawn from the prompt's hash, as a GSM8K-style final answer."""
        number = int(hashlib.sha256(prompt.encode()).hexdigest(), 16) % 100
        return f"Let me think. The answer is {number}.\n#### {number}"

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/stats":
            await _json(send, {"served": self.served, "max_in_flight": self.max_in_flight})
            return
        if path == "/v1/models":
            await _json(send, {"object": "list", "data": [{"id": "stub", "object": "model"}]})
            return
        body = await _body(receive)
        if path not in ("/v1/chat/completions", "/v1/completions"):
            await _json(send, {"error": {"message": f"no route {path}"}}, status=404)
            return
        request = json.loads(body or b"{}")
        chat = path.endswith("chat/completions")
        prompt = json.dumps(request.get("messages")) if chat else str(request.get("prompt", ""))
        if float(request.get("temperature") or 0) > 0 and request.get("seed") is not None:
            prompt += f"\nseed {request['seed']}"  # sampling: another seed, another draw
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.in_flight -= 1
        self.served += 1
        text = self.answer(prompt)
        if request.get("stream"):
            await _stream(send, text, chat)
        else:
            await _json(send, _completion(text, chat))


def _completion(text: str, chat: bool) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop"}
    choice.update({"message": {"role": "assistant", "content": text}} if chat else {"text": text})
    return {
        "id": "stub-1",
        "object": "chat.completion" if chat else "text_completion",
        "created": int(time.time()),
        "model": "stub",
        "choices": [choice],
        "usage": {"prompt_tokens": 10, "completion_tokens": 12, "total_tokens": 22},
    }


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _json(send: Send, payload: dict[str, Any], status: int = 200) -> None:
    data = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def _stream(send: Send, text: str, chat: bool) -> None:
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]}
    )
    for piece in text.split(" "):
        delta = {"delta": {"content": piece + " "}} if chat else {"text": piece + " "}
        event = {"choices": [{"index": 0, **delta, "finish_reason": None}]}
        await send(
            {
                "type": "http.response.body",
                "body": f"data: {json.dumps(event)}\n\n".encode(),
                "more_body": True,
            }
        )
    done = {"choices": [{"index": 0, "delta": {}, "text": "", "finish_reason": "stop"}]}
    tail = f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode()
    await send({"type": "http.response.body", "body": tail})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StubServer:
    """The stub in its own process (so a busy test process cannot slow its answers)."""

    def __init__(self, delay_s: float = 0.2) -> None:
        self.delay_s = delay_s
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stats(self) -> dict[str, int]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=10) as reply:
            return dict(json.loads(reply.read()))

    def __enter__(self) -> StubServer:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--port",
            str(self.port),
            "--delay",
            str(self.delay_s),
        ]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.stats()
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("the stub OpenAI server exited at start") from None
                time.sleep(0.1)
        raise RuntimeError("the stub OpenAI server did not start within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds per answer")
    args = parser.parse_args()
    uvicorn.run(Stub(args.delay), host="127.0.0.1", port=args.port, log_level="warning", backlog=4096)


if __name__ == "__main__":
    main()
