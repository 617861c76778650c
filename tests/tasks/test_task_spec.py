"""Tasks from YAML files: parsing, rendering, scoring, and one clear error per kind of bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assay.core.errors import AssayError, ConfigError, DatasetError
from assay.core.types import (
    ContinuationScore,
    GenerateRequest,
    Generation,
    LoglikelihoodRequest,
    LoglikelihoodResult,
)
from assay.tasks.spec import load_task_spec

ROWS = [
    {
        "id": f"q{i}",
        "question": f"What is {i} plus {i}?",
        "answer": str(2 * i),
        "options": [str(2 * i), str(2 * i + 1), str(2 * i - 1)],
        "label": 0,
        "topic": "even" if i % 2 else "odd",
    }
    for i in range(1, 9)
]


def write(tmp_path: Path, spec: str, rows: list[dict] | None = None, name: str = "task.yaml") -> Path:
    data = ROWS if rows is None else rows
    (tmp_path / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in data))
    path = tmp_path / name
    path.write_text(spec)
    return path


MC = """
name: sums
dataset: {path: data.jsonl}
fields: {id: id, choices: options, answer: label, group: topic}
prompt: "Q: {{ question }}\\nA:"
fewshot: {num: 2, holdout: 3, seed: 7}
output: {type: multiple_choice}
"""

GEN = """
name: sums_gen
dataset: {path: data.jsonl}
fields: {target: answer}
prompt: "Q: {{ question }}\\nA:"
output: {type: generate, extract: number, stop: ["\\n"]}
metrics: [exact_match]
"""


def test_multiple_choice_spec_holds_out_shots_and_builds_shared_context(tmp_path: Path) -> None:
    task = load_task_spec(write(tmp_path, MC))
    samples = list(task.samples())
    assert [s.id for s in samples] == ["q1", "q2", "q3", "q4", "q5"]  # last 3 rows are the shot pool
    request = task.build_request(samples[0], chat=False)
    assert isinstance(request, LoglikelihoodRequest)
    assert request.continuations == (" 2", " 3", " 1")
    shots = request.context.split("\n\n")
    assert len(shots) == 3 and shots[-1] == "Q: What is 1 plus 1?\nA:"
    assert all(s.split("\n")[0][3:] in {r["question"] for r in ROWS[-3:]} for s in shots[:2])
    # The same seed picks the same shots on every load.
    assert load_task_spec(write(tmp_path, MC)).build_request(samples[0], chat=False) == request
    assert dict(samples[0].metadata)["group"] == "even"


def test_multiple_choice_scoring_reports_acc_brier_and_confidence(tmp_path: Path) -> None:
    task = load_task_spec(write(tmp_path, MC))
    sample = next(task.samples())
    result = LoglikelihoodResult(
        scores=(
            ContinuationScore(-0.1, 1, True),
            ContinuationScore(-2.0, 1, False),
            ContinuationScore(-3.0, 1, False),
        )
    )
    score = task.score(sample, result)
    assert next(iter(score.values)) == "acc" and score.values["acc"] == 1.0
    assert 0 < score.values["brier"] < 0.1 and score.values["confidence"] > 0.8


def test_generation_spec_extracts_numbers_and_chat_mode_uses_turns(tmp_path: Path) -> None:
    task = load_task_spec(write(tmp_path, GEN))
    sample = next(task.samples())
    assert task.score(sample, Generation(text="The answer is 2.")).values == {"exact_match": 1.0}
    assert task.score(sample, Generation(text="3")).values == {"exact_match": 0.0}
    chat = task.build_request(sample, chat=True)
    assert isinstance(chat, GenerateRequest) and chat.messages is not None
    assert chat.messages[-1].content == "Q: What is 1 plus 1?\nA:"
    assert chat.params.stop == ("\n",)


def test_letter_answers_and_regex_extraction(tmp_path: Path) -> None:
    spec = MC.replace("type: multiple_choice", "type: multiple_choice_generate").replace(
        "fewshot: {num: 2, holdout: 3, seed: 7}", ""
    )
    task = load_task_spec(write(tmp_path, spec))
    sample = next(task.samples())
    assert task.score(sample, Generation(text="The answer is (A).")).values["acc"] == 1.0
    wrong = task.score(sample, Generation(text="I am not sure."))
    assert wrong.values == {"acc": 0.0, "invalid": 1.0}
    regex = GEN.replace("extract: number", "extract: regex, regex: 'ANSWER: (\\w+)'").replace(
        "[exact_match]", "[exact_match, f1]"
    )
    task = load_task_spec(write(tmp_path, regex))
    sample = next(task.samples())
    assert task.score(sample, Generation(text="work... ANSWER: 2")).values == {"exact_match": 1.0, "f1": 1.0}


@pytest.mark.parametrize(
    ("spec", "rows", "message"),
    [
        (MC.replace("name: sums", ""), None, "task.yaml: name: is required"),
        (MC.replace("fields:", "feilds:"), None, "task.yaml: feilds: unknown field (did you mean 'fields'?)"),
        (MC.replace("type: multiple_choice", "type: essay"), None, "output.type: 'essay' is not one of"),
        (MC.replace("{{ question }}", "{{ questoin }}"), None, "prompt: uses {{ questoin }} but the first"),
        (MC.replace("{{ question }}", "{{ question }"), None, "prompt: template error"),
        (MC, [], "the dataset has no rows"),
        (MC.replace("num: 2", "num: 5"), None, "fewshot.num: 5 examples asked for but the pool has 3"),
        (MC, [*ROWS[:3], {**ROWS[3], "label": 7}], "data.jsonl:4: fields.answer 7 is out of range for 3"),
        (MC, [*ROWS[:2], {k: v for k, v in ROWS[2].items() if k != "options"}], "data.jsonl:3: the row has"),
        (MC.replace("path: data.jsonl", "path: nowhere.jsonl"), None, "nowhere.jsonl: it does not exist"),
        (GEN.replace("[exact_match]", "[acc]"), None, "metrics: 'acc' does not apply to output.type"),
        (MC.replace("holdout: 3", "holdout: 30"), None, "fewshot.holdout: 30 rows held out leaves nothing"),
        (MC.replace("{id: id,", "{id: topic,"), None, "duplicate sample id 'even' (first at"),
        ("name: [unclosed", None, "task.yaml:1:"),
    ],
)
def test_bad_specs_and_data_name_the_file_row_and_field(
    tmp_path: Path, spec: str, rows: list[dict] | None, message: str
) -> None:
    with pytest.raises((ConfigError, DatasetError)) as info:
        task = load_task_spec(write(tmp_path, spec, rows))
        list(task.samples())
    assert message in str(info.value)
    assert isinstance(info.value, AssayError)


def test_toml_spec_and_csv_data(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text('q,a\n"2+2",4\n"3+3",6\n', encoding="utf-8")
    (tmp_path / "t.toml").write_text(
        'name = "csv_sums"\nprompt = "{{ q }} ="\n[dataset]\npath = "data.csv"\n'
        '[fields]\ntarget = "a"\n[output]\nextract = "number"\n'
    )
    task = load_task_spec(tmp_path / "t.toml")
    samples = list(task.samples())
    assert [s.input for s in samples] == ["2+2 =", "3+3 ="]
    assert dict(samples[0].metadata)["where"].endswith("data.csv:2")
    assert task.score(samples[1], Generation(text=" 6")).values["exact_match"] == 1.0


EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "tasks"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assay.cli.main", *args], capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_task_files_run_end_to_end_with_run_level_metrics(tmp_path: Path) -> None:
    db, report = tmp_path / "r.db", tmp_path / "r.html"
    proc = cli(
        "run",
        "-m",
        "smollm2-135m",
        "-t",
        str(EXAMPLES / "capitals_mc.yaml"),
        "-t",
        str(EXAMPLES / "capitals_letter.yaml"),
        "--task-arg",
        "spec.circular=true",
        "--json",
        "--no-progress",
        "--db",
        str(db),
        "--report",
        str(report),
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert {r["task"] for r in result["rows"]} == {"capitals_mc:circular", "capitals_letter:circular"}
    assert result["stats"]["planned"] == (6 + 8) * 4  # questions (capitals_mc holds 2 out) x 4 rotations
    metrics = {(m["task"], m["metric"]) for m in result["run_level"]}
    assert ("capitals_mc:circular", "ece") in metrics
    assert ("capitals_letter:circular", "circular_acc") in metrics
    assert "Run-level metrics" in report.read_text()
    shown = cli("tasks", "show", str(EXAMPLES / "capitals_gen.yaml"), "--json")
    assert json.loads(shown.stdout)["samples"] == 6


def test_a_bad_task_file_stops_before_anything_is_stored(tmp_path: Path) -> None:
    path = write(tmp_path, MC, [*ROWS[:3], {**ROWS[3], "label": 7}])
    db = tmp_path / "r.db"
    proc = cli("run", "-m", "smollm2-135m", "-t", str(path), "--db", str(db), "--no-progress")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "data.jsonl:4: fields.answer 7 is out of range" in proc.stderr
    runs = cli("runs", "--json", "--db", str(db))
    assert json.loads(runs.stdout) == []


def test_multiple_choice_in_chat_mode_sends_turns_and_bare_options(tmp_path: Path) -> None:
    task = load_task_spec(write(tmp_path, MC))
    sample = next(task.samples())
    request = task.build_request(sample, chat=True)
    assert isinstance(request, LoglikelihoodRequest) and request.messages is not None
    assert [m.role for m in request.messages] == ["user", "assistant", "user", "assistant", "user"]
    assert request.messages[-1].content == "Q: What is 1 plus 1?\nA:"
    assert request.continuations == ("2", "3", "1")
    from assay.engine.plan import TaskRun

    assert TaskRun(task=task, prompt_mode="chat").uses_chat()
    assert not TaskRun(task=task, prompt_mode="auto").uses_chat()
