"""assay vs lm-evaluation-harness 0.4.13 on the same GSM8K subset, against the same llama.cpp server.

Both tools talk to one llama-cpp-python OpenAI-compatible server on loopback, with the same prompt
("Question: ...\\nAnswer:"), the same stop sequences, greedy decoding and the same token budget; each
is timed as a whole command (start-up, data loading, requests, scoring, writing results).

    pip install -e '.[bench]'          # lm-eval[api]==0.4.13 (torch==2.13.0 must already be installed)
    python bench/vs_lm_eval.py --limit 100 [--model /path/to/model.gguf] [--order assay-first]

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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from assay.store import Store  # noqa: E402
from assay.tasks.gsm8k import packaged_gsm8k  # noqa: E402
from servers import llama_server, smollm2_gguf  # noqa: E402

TASK = "assay_bench_gsm8k"
# (wall seconds, scores, generated text per question in file order)
Outcome = tuple[float, dict[str, float], dict[str, str]]

# The same prompt, stops and budget as assay's gsm8k task in completion mode; metric settings follow
# lm-eval's own gsm8k.yaml (strict '#### N' and flexible last-number extraction).
LM_EVAL_TASK_YAML = """\
task: {task}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_text: "Question: {{{{question}}}}\\nAnswer:"
doc_to_target: "{{{{answer.split('####')[-1].strip()}}}}"
num_fewshot: 0
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


def write_subset(path: Path, limit: int) -> None:
    lines = packaged_gsm8k().read_text().splitlines()[:limit]
    path.write_text("\n".join(lines) + "\n")


def run_assay(url: str, model: str, data: Path, work: Path, max_tokens: int, concurrency: int) -> Outcome:
    db = work / "assay.db"
    cmd = [
        sys.executable,
        "-m",
        "assay",
        "run",
        "-m",
        f"openai:{model}",
        "--base-url",
        url,
        "-t",
        "gsm8k",
        "--task-arg",
        f"gsm8k.path={data}",
        "--task-arg",
        f"gsm8k.max_tokens={max_tokens}",
        "--model-arg",
        f"max_concurrency={concurrency}",
        "--prompt-mode",
        "completion",
        "--db",
        str(db),
        "--no-progress",
        "--json",
    ]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    del out
    with Store.open(db) as store:
        rows = store.results(store.get_run("latest").id)
    scores = {
        metric: sum(r.scores[metric] for r in rows if r.scores) / len(rows)
        for metric in ("exact_match", "exact_match_strict")
    }
    texts = {str(r.sample_id): (r.response or {}).get("text", "") for r in rows}
    return elapsed, {"flexible": scores["exact_match"], "strict": scores["exact_match_strict"]}, texts


def run_lm_eval(url: str, model: str, data: Path, work: Path, max_tokens: int, concurrency: int) -> Outcome:
    include = work / "lm_eval_tasks"
    include.mkdir()
    (include / f"{TASK}.yaml").write_text(
        LM_EVAL_TASK_YAML.format(task=TASK, data=data, max_tokens=max_tokens)
    )
    out_dir = work / "lm_eval_out"
    model_args = (
        f"model={model},base_url={url}/completions,tokenizer_backend=None,tokenized_requests=False,"
        f"num_concurrent={concurrency},max_retries=3,max_gen_toks={max_tokens}"
    )
    cmd = [
        sys.executable,
        "-m",
        "lm_eval",
        "--model",
        "local-completions",
        "--model_args",
        model_args,
        "--tasks",
        TASK,
        "--include_path",
        str(include),
        "--output_path",
        str(out_dir),
        "--log_samples",
    ]
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_DATASETS_CACHE": str(work / "hf"),
        "TOKENIZERS_PARALLELISM": "false",
    }
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    result_file = next(out_dir.rglob("results_*.json"))
    metrics = json.loads(result_file.read_text())["results"][TASK]
    texts: dict[str, str] = {}
    for line in next(out_dir.rglob(f"samples_{TASK}_*.jsonl")).read_text().splitlines():
        sample = json.loads(line)
        texts[str(sample["doc_id"])] = sample["resps"][0][0]
    return (
        elapsed,
        {"flexible": metrics["exact_match,flexible-extract"], "strict": metrics["exact_match,strict-match"]},
        texts,
    )


def count_requests(log: Path) -> int:
    return sum(1 for line in log.read_text(errors="replace").splitlines() if "POST /v1/completions" in line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--model", type=Path, default=None, help="GGUF file (default: built-in SmolLM2-135M)")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight, the same for both")
    parser.add_argument("--order", choices=("assay-first", "lm-eval-first"), default="assay-first")
    args = parser.parse_args()
    gguf = args.model or smollm2_gguf()
    name = gguf.stem
    with tempfile.TemporaryDirectory(prefix="assay-bench-") as tmp:
        work = Path(tmp)
        data = work / "gsm8k_subset.jsonl"
        write_subset(data, args.limit)
        runners = {"assay": run_assay, "lm-eval": run_lm_eval}
        order = ["assay", "lm-eval"] if args.order == "assay-first" else ["lm-eval", "assay"]
        results: dict[str, tuple[float, dict[str, float], int]] = {}
        outputs: dict[str, list[str]] = {}
        for tool in order:
            # A fresh server per tool: neither inherits the other's KV cache.
            with llama_server(gguf, n_ctx=2048, access_log=work / f"{tool}.access.log") as url:
                tool_dir = work / tool
                tool_dir.mkdir()
                elapsed, scores, texts = runners[tool](
                    url, name, data, tool_dir, args.max_tokens, args.concurrency
                )
            outputs[tool] = [texts[k] for k in sorted(texts, key=int)]
            results[tool] = (elapsed, scores, count_requests(work / f"{tool}.access.log"))
    print(
        f"GSM8K subset: first {args.limit} test questions, model {gguf.name}, max_tokens {args.max_tokens}, "
        f"0-shot completion prompt, greedy, "
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
    chars = {tool: sum(map(len, texts)) for tool, texts in outputs.items()}
    print(
        f"identical generations: {same}/{len(outputs['assay'])}; "
        f"characters generated: assay {chars['assay']}, lm-eval {chars['lm-eval']}"
    )
    print(f"ratio assay/lm-eval wall time: {ratio:.2f}   largest score difference: {diff:.3f}")


if __name__ == "__main__":
    main()
