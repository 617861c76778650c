"""assay vs lm-evaluation-harness 0.4.13 on the same GSM8K subset, against the same llama.cpp server.

Both tools talk to one llama-cpp-python OpenAI-compatible server on loopback, with the same prompt
("Question: ...\\nAnswer:"), the same stop sequences, greedy decoding and the same token budget; each
is timed as a whole command (start-up, data loading, requests, scoring, writing results).

    pip install -e '.[bench]'          # lm-eval[api]==0.4.13 (torch==2.13.0 must already be installed)
    python bench/vs_lm_eval.py --limit 100 [--shots 5] [--model /path/to/model.gguf] [--order lm-eval-first]

Prints both wall times, the ratio assay / lm-eval, both tools' request counts as seen by the server's
access log, and both scores (flexible and strict extraction).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from assay.store import Store  # noqa: E402
from assay.tasks.gsm8k import FEWSHOT_POOL, packaged_gsm8k  # noqa: E402
from servers import llama_server, smollm2_gguf  # noqa: E402

TASK = "assay_bench_gsm8k"
# (wall seconds, scores, generated texts and prompts in question order)
Outcome = tuple[float, dict[str, float], list[str], list[str]]

# The same prompt, stops and budget as assay's gsm8k task in completion mode; metric settings follow
# lm-eval's own gsm8k.yaml (strict '#### N' and flexible last-number extraction).
LM_EVAL_TASK_YAML = """\
task: {task}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
    fewshot: {pool}
test_split: test
fewshot_split: fewshot
fewshot_delimiter: "\n\n"
target_delimiter: " "
output_type: generate_until
doc_to_text: "Question: {{{{question}}}}\\nAnswer:"
doc_to_target: "{{{{answer}}}}"
num_fewshot: {shots}
generation_kwargs:
  until: ["Question:", "\\n\\n\\n"]
  do_sample: false
  temperature: 0.0
  max_gen_toks: {max_tokens}
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
    ignore_case: true
    ignore_punctuation: false
    regexes_to_ignore: [",", "\\\\$", "(?s).*#### ", "\\\\.$"]
filter_list:
  - name: strict-match
    filter:
      - function: regex
        regex_pattern: "#### (\\\\-?[0-9\\\\.\\\\,]+)"
      - function: take_first
  - name: flexible-extract
    filter:
      - function: regex
        group_select: -1
        regex_pattern: "(-?[$0-9.,]{{2,}})|(-?[0-9]+)"
      - function: take_first
metadata:
  version: 1.0
"""


def write_data(work: Path, limit: int) -> tuple[Path, Path, Path]:
    """The evaluated questions, the few-shot pool (the test file's last 100, as assay holds out), and
    both in one file for assay (which takes its pool from the end of the file)."""
    lines = packaged_gsm8k().read_text().splitlines()
    evaluated, pool = lines[:limit], lines[-FEWSHOT_POOL:]
    if limit > len(lines) - FEWSHOT_POOL:
        raise SystemExit(f"--limit must be at most {len(lines) - FEWSHOT_POOL}")
    paths = (work / "questions.jsonl", work / "pool.jsonl", work / "questions_and_pool.jsonl")
    for path, rows in zip(paths, (evaluated, pool, evaluated + pool), strict=True):
        path.write_text("\n".join(rows) + "\n")
    return paths


@dataclass(frozen=True)
class Setup:
    url: str
    model: str
    questions: Path  # the evaluated questions
    pool: Path  # few-shot pool
    questions_and_pool: Path
    work: Path
    max_tokens: int
    concurrency: int
    shots: int


def run_assay(setup: Setup) -> Outcome:
    db = setup.work / "assay.db"
    data = setup.questions_and_pool if setup.shots else setup.questions
    task_args = [f"path={data}", f"max_tokens={setup.max_tokens}", f"num_fewshot={setup.shots}"]
    cmd = [sys.executable, "-m", "assay", "run", "-m", f"openai:{setup.model}", "--base-url", setup.url]
    cmd += ["-t", "gsm8k", *(x for arg in task_args for x in ("--task-arg", f"gsm8k.{arg}"))]
    cmd += ["--model-arg", f"max_concurrency={setup.concurrency}", "--prompt-mode", "completion"]
    cmd += ["--db", str(db), "--no-progress", "--json"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    with Store.open(db) as store:
        rows = store.results(store.get_run("latest").id)
    mean = {
        m: sum(r.scores[m] for r in rows if r.scores) / len(rows)
        for m in ("exact_match", "exact_match_strict")
    }
    order = sorted(rows, key=lambda r: int(r.sample_id))
    texts = [(r.response or {}).get("text", "") for r in order]
    prompts = [r.request["prompt"] for r in order]
    return elapsed, {"flexible": mean["exact_match"], "strict": mean["exact_match_strict"]}, texts, prompts


def run_lm_eval(setup: Setup) -> Outcome:
    include = setup.work / "lm_eval_tasks"
    include.mkdir()
    yaml_text = LM_EVAL_TASK_YAML.format(
        task=TASK, data=setup.questions, pool=setup.pool, max_tokens=setup.max_tokens, shots=setup.shots
    )
    (include / f"{TASK}.yaml").write_text(yaml_text)
    out_dir = setup.work / "lm_eval_out"
    model_args = (
        f"model={setup.model},base_url={setup.url}/completions,tokenizer_backend=None,tokenized_requests=False,"
        f"num_concurrent={setup.concurrency},max_retries=3,max_gen_toks={setup.max_tokens}"
    )
    cmd = [sys.executable, "-m", "lm_eval", "--model", "local-completions", "--model_args", model_args]
    cmd += ["--tasks", TASK, "--include_path", str(include), "--output_path", str(out_dir), "--log_samples"]
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_DATASETS_CACHE": str(setup.work / "hf"),
        "TOKENIZERS_PARALLELISM": "false",
    }
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    metrics = json.loads(next(out_dir.rglob("results_*.json")).read_text())["results"][TASK]
    samples = [
        json.loads(line) for line in next(out_dir.rglob(f"samples_{TASK}_*.jsonl")).read_text().splitlines()
    ]
    # One line per (doc, filter): keep one per doc; the generation is the same under every filter.
    samples = sorted(
        {int(sample["doc_id"]): sample for sample in samples}.values(), key=lambda x: int(x["doc_id"])
    )
    texts = [sample["resps"][0][0] for sample in samples]
    prompts = [sample["arguments"]["gen_args_0"]["arg_0"] for sample in samples]
    scores = {
        "flexible": metrics["exact_match,flexible-extract"],
        "strict": metrics["exact_match,strict-match"],
    }
    return elapsed, scores, texts, prompts


def count_requests(log: Path) -> int:
    return sum(1 for line in log.read_text(errors="replace").splitlines() if "POST /v1/completions" in line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--model", type=Path, default=None, help="GGUF file (default: built-in SmolLM2-135M)")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight, the same for both")
    parser.add_argument(
        "--shots", type=int, default=0, help="few-shot examples (from the same held-out pool)"
    )
    parser.add_argument("--order", choices=("assay-first", "lm-eval-first"), default="assay-first")
    args = parser.parse_args()
    gguf = args.model or smollm2_gguf()
    name = gguf.stem
    with tempfile.TemporaryDirectory(prefix="assay-bench-") as tmp:
        work = Path(tmp)
        questions, pool, both = write_data(work, args.limit)
        runners = {"assay": run_assay, "lm-eval": run_lm_eval}
        order = ["assay", "lm-eval"] if args.order == "assay-first" else ["lm-eval", "assay"]
        results: dict[str, tuple[float, dict[str, float], int]] = {}
        outputs: dict[str, list[str]] = {}
        prompts: dict[str, list[str]] = {}
        for tool in order:
            # A fresh server per tool: neither inherits the other's KV cache.
            with llama_server(gguf, n_ctx=2048, access_log=work / f"{tool}.access.log") as url:
                tool_dir = work / tool
                tool_dir.mkdir()
                setup = Setup(
                    url, name, questions, pool, both, tool_dir, args.max_tokens, args.concurrency, args.shots
                )
                elapsed, scores, outputs[tool], prompts[tool] = runners[tool](setup)
            results[tool] = (elapsed, scores, count_requests(work / f"{tool}.access.log"))
    print(
        f"GSM8K subset: first {args.limit} test questions, model {gguf.name}, max_tokens {args.max_tokens}, "
        f"{args.shots}-shot completion prompt, greedy, "
        f"{args.concurrency} request(s) in flight"
    )
    for tool in ("assay", "lm-eval"):
        elapsed, scores, requests = results[tool]
        print(
            f"{tool:8s} wall {elapsed:8.1f} s  requests {requests:4d}  "
            f"exact_match flexible {scores['flexible']:.3f} strict {scores['strict']:.3f}"
        )
    ratio = results["assay"][0] / results["lm-eval"][0]
    diff = max(abs(results["assay"][1][k] - results["lm-eval"][1][k]) for k in ("flexible", "strict"))
    same = sum(a == b for a, b in zip(outputs["assay"], outputs["lm-eval"], strict=True))
    same_prompts = sum(a == b for a, b in zip(prompts["assay"], prompts["lm-eval"], strict=True))
    print(f"identical prompts: {same_prompts}/{len(prompts['assay'])}")
    chars = {tool: sum(map(len, texts)) for tool, texts in outputs.items()}
    print(
        f"identical generations: {same}/{len(outputs['assay'])}; "
        f"characters generated: assay {chars['assay']}, lm-eval {chars['lm-eval']}"
    )
    print(f"ratio assay/lm-eval wall time: {ratio:.2f}   largest score difference: {diff:.3f}")


if __name__ == "__main__":
    main()
