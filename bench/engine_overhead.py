"""Engine overhead: assay vs lm-evaluation-harness 0.4.13 vs Inspect AI vs a bare httpx client, all on GSM8K.

Every tool runs all 1,319 GSM8K test questions against one stub OpenAI-compatible server of our own
(tests/stub_openai.py: a fixed delay per answer, unlimited parallelism, deterministic answers from the
prompt's hash), with 32 requests in flight, and is timed as a whole command (interpreter start-up,
imports, data loading, requests, scoring, writing results):

- assay: `python -m assay run -m openai:stub -t gsm8k --prompt-mode completion
  --model-arg max_concurrency=32 --no-progress --db <fresh file>`
- lm-eval: `lm_eval --model local-completions` with num_concurrent=32 on a local task YAML over the same
  JSONL (the hub dataset is not reachable here; the YAML is bench/vs_lm_eval.py's), with --log_samples
  (each tool keeps a per-sample record: assay its store, Inspect its log)
- Inspect AI: `inspect eval` of a task over the same questions, provider `openai-api/stub/stub`,
  `--max-connections 32` (chat completions: that provider speaks only chat)
- bare httpx: an asyncio httpx client posting the same 1,319 completion requests as assay and lm-eval
  (same prompt, stops and budget), 32 workers, nothing stored

A fresh stub per run: its counters (requests served, most in flight at once) check every tool sent all
1,319 requests with 32 in flight. One untimed warm-up run of each tool first (page cache, bytecode),
then `--repeats` rounds with the tools interleaved; the table shows medians.

    python -m venv /tmp/peers && /tmp/peers/bin/pip install torch==2.13.0 \
        && /tmp/peers/bin/pip install 'lm-eval[api]==0.4.13' inspect-ai openai
    python bench/engine_overhead.py --peers-venv /tmp/peers [--delays 0.05 0] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

# Only the stdlib and httpx at the top: the bare client runs this file as its own command, and its
# start-up should be an interpreter and httpx, nothing of assay's (assay, the stub and bench/vs_lm_eval
# are imported where the driver needs them).
REPO = Path(__file__).resolve().parents[1]

TOOLS = ("bare httpx", "assay", "lm-eval", "inspect")
MODEL = "stub"
MAX_TOKENS = 256
STOP = ["Question:", "\n\n\n"]
LM_EVAL_TASK = "assay_bench_gsm8k"

INSPECT_TASK = """\
from inspect_ai import Task, task
from inspect_ai.dataset import Sample, json_dataset
from inspect_ai.scorer import match
from inspect_ai.solver import generate


def record(row: dict) -> Sample:
    return Sample(input=row["question"], target=row["answer"].split("####")[-1].strip())


@task
def gsm8k_stub() -> Task:
    return Task(dataset=json_dataset({data!r}, record), solver=generate(), scorer=match(numeric=True))
"""


@dataclass(frozen=True)
class Bench:
    """What every run shares: the questions, the peers' executables, the in-flight count."""

    data: Path
    questions: int
    peers_bin: Path
    concurrency: int


@dataclass(frozen=True)
class Measured:
    wall_s: float
    cpu_s: float  # user + system seconds of the command and its children (robust to a busy machine)
    served: int
    max_in_flight: int
    request_phase_s: float | None = None  # the bare client's own timing of its requests alone


# -- the four commands ---------------------------------------------------------------------------


def assay_cmd(bench: Bench, url: str, work: Path) -> tuple[list[str], dict[str, str]]:
    cmd = [sys.executable, "-m", "assay", "run", "-m", f"openai:{MODEL}", "--base-url", url]
    cmd += ["-t", "gsm8k", "--prompt-mode", "completion", "--model-arg"]
    cmd += [f"max_concurrency={bench.concurrency}", "--no-progress", "--db", str(work / "assay.db")]
    return cmd, {}


def lm_eval_cmd(bench: Bench, url: str, work: Path) -> tuple[list[str], dict[str, str]]:
    from vs_lm_eval import LM_EVAL_TASK_YAML

    include = work / "lm_eval_tasks"
    include.mkdir()
    yaml_text = LM_EVAL_TASK_YAML.format(
        task=LM_EVAL_TASK, data=bench.data, pool=bench.data, max_tokens=MAX_TOKENS, shots=0
    )
    (include / f"{LM_EVAL_TASK}.yaml").write_text(yaml_text)
    model_args = (
        f"model={MODEL},base_url={url}/completions,num_concurrent={bench.concurrency},"
        f"tokenizer_backend=None,tokenized_requests=False,max_gen_toks={MAX_TOKENS}"
    )
    cmd = [str(bench.peers_bin / "lm_eval"), "--model", "local-completions", "--model_args", model_args]
    cmd += ["--tasks", LM_EVAL_TASK, "--include_path", str(include)]
    cmd += ["--output_path", str(work / "lm_eval_out"), "--log_samples"]
    env = {
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_DATASETS_CACHE": str(work.parent / "hf-datasets"),  # shared across runs: warm after the first
        "TOKENIZERS_PARALLELISM": "false",
    }
    return cmd, env


def inspect_cmd(bench: Bench, url: str, work: Path) -> tuple[list[str], dict[str, str]]:
    task_file = work / "gsm8k_stub.py"
    task_file.write_text(INSPECT_TASK.format(data=str(bench.data)))
    cmd = [str(bench.peers_bin / "inspect"), "eval", f"{task_file}@gsm8k_stub"]
    cmd += ["--model", f"openai-api/{MODEL}/{MODEL}", "--max-connections", str(bench.concurrency)]
    cmd += ["--max-tokens", str(MAX_TOKENS), "--temperature", "0", "--display", "none"]
    cmd += ["--log-dir", str(work / "inspect_logs")]
    return cmd, {"STUB_BASE_URL": url, "STUB_API_KEY": "none"}


def bare_cmd(bench: Bench, url: str, work: Path) -> tuple[list[str], dict[str, str]]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--bare-client", url]
    cmd += ["--data", str(bench.data), "--concurrency", str(bench.concurrency)]
    return cmd, {}


COMMANDS: dict[str, Callable[[Bench, str, Path], tuple[list[str], dict[str, str]]]] = {
    "bare httpx": bare_cmd,
    "assay": assay_cmd,
    "lm-eval": lm_eval_cmd,
    "inspect": inspect_cmd,
}


def run_once(tool: str, bench: Bench, delay_s: float, work: Path) -> Measured:
    """One whole command against a fresh stub; fails loudly if it did not send every request."""
    from stub_openai import StubServer

    work.mkdir(parents=True)
    with StubServer(delay_s=delay_s) as stub:
        cmd, env = COMMANDS[tool](bench, stub.base_url, work)
        with (work / "output.log").open("w") as log:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env})
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        stats = stub.stats()
    if done.returncode != 0:
        tail = (work / "output.log").read_text(errors="replace")[-3000:]
        raise SystemExit(f"{tool} failed (exit {done.returncode}):\n{' '.join(cmd)}\n{tail}")
    if stats["served"] < bench.questions:
        raise SystemExit(f"{tool}: the stub served {stats['served']} of {bench.questions} requests")
    output = (work / "output.log").read_text(errors="replace")
    phase = [
        float(line.split(" in ")[1].split()[0]) for line in output.splitlines() if "request phase" in line
    ]
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Measured(wall, cpu, stats["served"], stats["max_in_flight"], phase[0] if phase else None)


# -- the bare client (run as its own command) -----------------------------------------------------


async def bare_client(url: str, prompts: list[str], concurrency: int) -> list[str]:
    """The least a client can do: post each completion request, keep the text, `concurrency` at once."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    texts = [""] * len(prompts)
    todo = iter(range(len(prompts)))
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(600.0)) as client:

        async def worker() -> None:
            for i in todo:
                body = {"model": MODEL, "prompt": prompts[i], "max_tokens": MAX_TOKENS}
                body |= {"temperature": 0.0, "stop": STOP}
                reply = await client.post(f"{url}/completions", json=body)
                reply.raise_for_status()
                texts[i] = reply.json()["choices"][0]["text"]

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return texts


def bare_main(url: str, data: Path, concurrency: int) -> None:
    rows = [json.loads(line) for line in data.read_text().splitlines() if line.strip()]
    prompts = [f"Question: {row['question']}\nAnswer:" for row in rows]
    t0 = time.perf_counter()
    texts = asyncio.run(bare_client(url, prompts, concurrency))
    print(f"{len(texts)} answers in {time.perf_counter() - t0:.3f} s (request phase)")


# -- the table -------------------------------------------------------------------------------------


def measure(
    bench: Bench, tools: list[str], delay_s: float, repeats: int, work: Path
) -> dict[str, list[Measured]]:
    for tool in tools:  # warm-up, untimed
        run_once(tool, bench, delay_s, work / f"warm-{tool.replace(' ', '-')}")
    runs: dict[str, list[Measured]] = {tool: [] for tool in tools}
    for round_ in range(repeats):
        for tool in tools:
            runs[tool].append(run_once(tool, bench, delay_s, work / f"{round_}-{tool.replace(' ', '-')}"))
    return runs


def table(bench: Bench, delay_s: float, runs: dict[str, list[Measured]]) -> str:
    wall = {tool: statistics.median(m.wall_s for m in measured) for tool, measured in runs.items()}
    base = wall.get("assay")
    ideal = -(-bench.questions // bench.concurrency) * delay_s
    lines = [
        f"stub delay {delay_s * 1000:g} ms, {bench.questions} questions, {bench.concurrency} in flight, "
        f"median of {len(next(iter(runs.values())))} (the stub alone: {ideal:.2f} s; "
        f"load average at the end {os.getloadavg()[0]:.1f})",
        "",
        "| tool | wall s (median) | range s | requests/s | tool / assay | CPU s | served | max in flight |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for tool, measured in runs.items():
        walls = [m.wall_s for m in measured]
        served = max(m.served for m in measured)
        in_flight = max(m.max_in_flight for m in measured)
        cpu = statistics.median(m.cpu_s for m in measured)
        times = f"{wall[tool] / base:.2f}x" if base else ""
        lines.append(
            f"| {tool} | {wall[tool]:.2f} | {min(walls):.2f}-{max(walls):.2f} | "
            f"{bench.questions / wall[tool]:.1f} | {times} | {cpu:.1f} | {served} | {in_flight} |"
        )
    lines.append("")
    if base and "lm-eval" in wall:
        ratio = wall["lm-eval"] / base
        lines.append(f"lm-eval / assay {ratio:.2f}x (target >= 2: {'met' if ratio >= 2 else 'MISSED'})")
    if base and "inspect" in wall:
        ratio = wall["inspect"] / base
        lines.append(f"inspect / assay {ratio:.2f}x (target >= 3: {'met' if ratio >= 3 else 'MISSED'})")
    if base and "bare httpx" in wall:
        lines.append(
            f"assay's requests/s as a share of the bare httpx client's: {wall['bare httpx'] / base:.0%}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--peers-venv", type=Path, default=Path(sys.prefix), help="venv with lm_eval, inspect"
    )
    parser.add_argument(
        "--delays", type=float, nargs="+", default=[0.05, 0.0], help="stub seconds per answer"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight, the same for all")
    parser.add_argument("--bare-client", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_client:
        bare_main(args.bare_client, args.data, args.concurrency)
        return
    sys.path[:0] = [str(REPO / "tests"), str(REPO / "bench")]
    from assay.tasks.gsm8k import packaged_gsm8k

    with tempfile.TemporaryDirectory(prefix="assay-engine-overhead-") as tmp:
        data = Path(tmp) / "gsm8k_test.jsonl"
        lines = [line for line in packaged_gsm8k().read_text().splitlines() if line.strip()]
        data.write_text("\n".join(lines) + "\n")
        bench = Bench(data, len(lines), args.peers_venv / "bin", args.concurrency)
        for delay_s in args.delays:
            runs = measure(bench, args.tools, delay_s, args.repeats, Path(tmp) / f"delay-{delay_s:g}")
            print(table(bench, delay_s, runs) + "\n", flush=True)


if __name__ == "__main__":
    main()
