"""Do assay's multiple-choice numbers match lm-evaluation-harness 0.4.13's on the same data and prompts?

Both tools score BIG-bench multiple-choice tasks by log-likelihood with the same weights in the same
library (Hugging Face transformers on the CPU, float32): the built-in SmolLM2-135M GGUF, dequantised
once into a transformers checkpoint. The same rows, the prompt "[task prefix]Q: <input>\\nA:" and each
option as " <option>". assay runs its built-in `bigbench` loader on the task JSON and, for the same
rows, a YAML task file (the no-code path); lm-eval runs a task YAML over the rows as JSONL.

(Not through llama-cpp-python's server: that server echoes only the tokens it did not reuse from
its previous prompt, and lm-eval, which slices echoed logprobs by its own context length, then
scores many options as 0.0; assay finds continuations by text offset and is not affected.)

    pip install -e '.[bench,hf]' gguf accelerate
    python bench/validate_mc_vs_lm_eval.py --limit 100 \\
        [--tasks misconceptions simple_ethical_questions arithmetic/2_digit_addition]

Prints acc and acc_norm per tool and task, the difference in percentage points, the share of
questions where both picked the same option, and the largest log-probability difference.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from assay.store import Store  # noqa: E402
from servers import smollm2_gguf  # noqa: E402
from shared_data import shared_data  # noqa: E402

LM_EVAL_YAML = """\
task: {task}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: multiple_choice
doc_to_text: "{{{{prefix}}}}Q: {{{{input}}}}\\nA:"
doc_to_choice: "{{{{choices}}}}"
doc_to_target: "{{{{label}}}}"
target_delimiter: " "
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
  - metric: acc_norm
    aggregation: mean
    higher_is_better: true
metadata:
  version: 1.0
"""

ASSAY_YAML = """\
name: {name}
dataset: {{path: {data}}}
fields: {{id: id, choices: choices, answer: label}}
prompt: "{{{{ prefix }}}}Q: {{{{ input }}}}\\nA:"
output: {{type: multiple_choice}}
metrics: [acc, acc_norm]
"""


def run(cmd: list[str], env: dict[str, str] | None) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{proc.stderr[-3000:]}")


def export_rows(task_json: Path, limit: int, out: Path) -> list[dict[str, Any]]:
    """The first `limit` BIG-bench examples as {id, input, choices, label} rows."""
    task = json.loads(task_json.read_text(encoding="utf-8"))
    examples = task["examples"][:limit]
    # The task's own prefix on its own line, as BIG-bench (and assay's bigbench loader) put it.
    prefix = f"{task['task_prefix']}\n" if task.get("task_prefix") else ""
    rows = []
    for i, ex in enumerate(examples):
        scores = ex["target_scores"]
        values = list(scores.values())
        rows.append(
            {
                "id": str(i),
                "prefix": prefix,
                "input": ex["input"],
                "choices": list(scores),
                "label": max(range(len(values)), key=values.__getitem__),
            }
        )
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return rows


def hf_checkpoint(gguf: Path, work: Path) -> Path:
    """The GGUF's weights, dequantised to float32, saved as a plain transformers checkpoint."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quantised = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    config = quantised.config.to_dict()
    config.pop("quantization_config", None)  # a GGUF-loaded model refuses to save as itself
    model = AutoModelForCausalLM.from_config(type(quantised.config).from_dict(config))
    model.load_state_dict(quantised.state_dict())
    target = work / "checkpoint"
    model.save_pretrained(target)
    AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name).save_pretrained(target)
    return target


# (acc and acc_norm, the option each question got, every option's log-probability per question)
Picks = tuple[dict[str, float], list[int], list[list[float]]]


def assay_choices(checkpoint: Path, task_arg: list[str], work: Path) -> Picks:
    db = work / f"assay-{len(list(work.glob('assay-*.db')))}.db"
    cmd = [
        sys.executable,
        "-m",
        "assay",
        "run",
        "-m",
        f"hf:{checkpoint}",
        *task_arg,
        "--model-arg",
        "dtype=float32",
        "--db",
        str(db),
        "--no-progress",
        "--json",
    ]
    run(cmd, None)
    with Store.open(db) as store:
        rows = sorted(store.results(store.get_run("latest").id), key=lambda r: int(r.sample_id))
    means = {m: sum(r.scores[m] for r in rows if r.scores) / len(rows) for m in ("acc", "acc_norm")}
    picks, logprobs = [], []
    for row in rows:
        values = [s["logprob"] for s in (row.response or {})["scores"]]
        logprobs.append(values)
        picks.append(max(range(len(values)), key=values.__getitem__))
    return means, picks, logprobs


def lm_eval_choices(checkpoint: Path, data: Path, work: Path) -> Picks:
    name = f"assay_validate_{len(list(work.glob('lm_eval_*')))}"
    include = work / f"lm_eval_{name}"
    include.mkdir()
    (include / f"{name}.yaml").write_text(LM_EVAL_YAML.format(task=name, data=data))
    out_dir = include / "out"
    model_args = f"pretrained={checkpoint},dtype=float32"
    cmd = [
        sys.executable,
        "-m",
        "lm_eval",
        "--model",
        "hf",
        "--model_args",
        model_args,
        "--batch_size",
        "1",
        "--device",
        "cpu",
        "--tasks",
        name,
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
    run(cmd, env)
    metrics = json.loads(next(out_dir.rglob("results_*.json")).read_text())["results"][name]
    lines = next(out_dir.rglob(f"samples_{name}_*.jsonl")).read_text().splitlines()
    samples = [json.loads(line) for line in lines]
    picks, logprobs = [], []
    for sample in sorted(samples, key=lambda s: int(s["doc_id"])):
        values = [float(resp[0][0]) for resp in sample["resps"]]  # the samples file holds strings
        logprobs.append(values)
        picks.append(max(range(len(values)), key=values.__getitem__))
    return {"acc": metrics["acc,none"], "acc_norm": metrics["acc_norm,none"]}, picks, logprobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument(
        "--tasks",
        nargs="+",
        default=["misconceptions", "simple_ethical_questions", "arithmetic/2_digit_addition"],
    )
    parser.add_argument("--model", type=Path, default=None, help="GGUF file (default: built-in SmolLM2-135M)")
    args = parser.parse_args()
    gguf = args.model or smollm2_gguf()
    print(
        f"model {gguf.name} dequantised to float32 transformers weights; first {args.limit} examples per "
        "task; prompt '[task prefix]Q: <input>\\nA:', options ' <option>'; log-likelihood in-process"
    )
    with tempfile.TemporaryDirectory(prefix="assay-validate-") as tmp:
        work = Path(tmp)
        checkpoint = hf_checkpoint(gguf, work)
        for task in args.tasks:
            task_json = shared_data() / "bigbench" / task / "task.json"
            data = work / f"{task.replace('/', '_')}.jsonl"
            rows = export_rows(task_json, args.limit, data)
            spec = work / f"{task.replace('/', '_')}.yaml"
            spec.write_text(ASSAY_YAML.format(name=task.replace("/", "_"), data=data))
            builtin_args = [
                "-t",
                "bigbench",
                "--task-arg",
                f"bigbench.path={task_json.parent}",
                "--limit",
                str(args.limit),
            ]
            builtin = assay_choices(checkpoint, builtin_args, work)
            declared = assay_choices(checkpoint, ["-t", str(spec)], work)
            theirs = lm_eval_choices(checkpoint, data, work)
            for label, ours in (("bigbench loader", builtin), ("YAML task file", declared)):
                report(task, len(rows), label, ours, theirs)


def report(task: str, n: int, label: str, ours: Picks, theirs: Picks) -> None:
    agree = sum(a == b for a, b in zip(ours[1], theirs[1], strict=True))
    pairs = zip(ours[2], theirs[2], strict=True)
    deltas = [abs(a - b) for qa, qb in pairs for a, b in zip(qa, qb, strict=True)]
    diffs = "  ".join(
        f"{m} {ours[0][m]:.3f} vs {theirs[0][m]:.3f} ({100 * (ours[0][m] - theirs[0][m]):+.1f} pp)"
        for m in ("acc", "acc_norm")
    )
    print(
        f"{task:26s} n={n:3d} assay {label:15s} vs lm-eval: {diffs}  same pick {agree}/{n}  "
        f"option logprobs equal (|diff| < 1e-3) {sum(d < 1e-3 for d in deltas)}/{len(deltas)}, "
        f"largest |diff| {max(deltas):.3f}"
    )


if __name__ == "__main__":
    main()
