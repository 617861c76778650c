"""HumanEval and code-execution task files: extraction, pass@k, canonical solutions in the sandbox."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from assay.core.errors import ConfigError
from assay.core.types import Generation, Sample, Score
from assay.metrics.pass_at_k import pass_at_k, pass_at_k_by_problem
from assay.sandbox import sandbox_problem
from assay.tasks.code import build_program, extract_code, humaneval, packaged_humaneval, read_problems

needs_sandbox = pytest.mark.skipif(
    bool(sandbox_problem()) and not os.environ.get("ASSAY_REQUIRE_SANDBOX"),
    reason=f"sandbox unavailable: {sandbox_problem()}",
)


def test_pass_at_k_matches_the_combinatorial_definition() -> None:
    for n, c, k in [(10, 3, 1), (5, 2, 2), (20, 0, 5), (20, 20, 10), (200, 13, 100), (7, 6, 3)]:
        expected = 1.0 - math.comb(n - c, k) / math.comb(n, k)
        assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    with pytest.raises(ValueError):
        pass_at_k(5, 6, 1)


def test_pass_at_k_aggregates_per_problem_and_only_where_n_allows() -> None:
    items = []
    for problem, passes in {"p1": [1, 0, 0, 0, 0, 0, 0, 0, 0, 0], "p2": [1] * 10}.items():
        for i, value in enumerate(passes):
            sample = Sample(id=f"{problem}#{i}", input="", metadata=(("problem", problem),))
            items.append((sample, Score(values={"passed": float(value)})))
    out = pass_at_k_by_problem(items)
    assert out["pass@1"] == pytest.approx((0.1 + 1.0) / 2)
    assert out["pass@10"] == pytest.approx(1.0)
    assert "pass@100" not in out


def test_extract_code_takes_the_first_fence_or_the_text() -> None:
    reply = "Here you go:\n```python\ndef f(x):\n    return x + 1\n```\nThis adds one.\n```py\nf(1)\n```"
    assert extract_code(reply) == "def f(x):\n    return x + 1\n"
    assert extract_code("```\nprint(1)\n```") == "print(1)\n"
    assert extract_code("    return x\n") == "    return x\n"
    assert extract_code("```python\ndef g():\n    pass") == "def g():\n    pass"  # cut off by max_tokens


def test_build_program_for_chat_and_completion_replies() -> None:
    prompt = 'from typing import List\n\n\ndef add(a: int, b: int) -> int:\n    """Add."""\n'
    test = "def check(candidate):\n    assert candidate(1, 2) == 3\n"
    completion = build_program(prompt, "    return a + b\n", test, "add", chat=False)
    assert completion.startswith(prompt + "    return a + b") and completion.endswith("check(add)\n")
    chat = build_program(prompt, "```python\ndef add(a, b):\n    return a + b\n```", test, "add", chat=True)
    # the prompt stays (imports, helpers); the reply's definition replaces its docstring-only one
    assert chat.startswith(prompt + "def add(a, b):\n    return a + b")


@needs_sandbox
def test_chat_replies_keep_the_prompts_helper_functions() -> None:
    """HumanEval/10, /32, /38 and /50 define helpers in the prompt that the reply's function calls."""
    from assay.sandbox import run_many

    problems = {p["task_id"]: p for p in read_problems(packaged_humaneval())}
    programs = []
    for task_id in ("HumanEval/10", "HumanEval/32", "HumanEval/38", "HumanEval/50"):
        p = problems[task_id]
        head = f"def {p['entry_point']}"
        signature = next(line for line in p["prompt"].splitlines() if line.startswith(head))
        reply = f"Here it is:\n```python\n{signature}\n{p['canonical_solution']}```"
        programs.append(build_program(p["prompt"], reply, p["test"], p["entry_point"], chat=True))
    assert [o.status for o in run_many(programs)] == ["passed"] * 4


def _canonical_program(problem: dict[str, str], body: str) -> str:
    return build_program(problem["prompt"], body, problem["test"], problem["entry_point"], chat=False)


@needs_sandbox
def test_all_164_canonical_solutions_pass_and_wrong_ones_fail() -> None:
    from assay.sandbox import Limits, run_many

    problems = read_problems(packaged_humaneval())
    assert len(problems) == 164
    limits = Limits(cpu_seconds=10, wall_seconds=20)
    right = run_many([_canonical_program(p, p["canonical_solution"]) for p in problems], limits=limits)
    failed = [p["task_id"] for p, o in zip(problems, right, strict=True) if o.status != "passed"]
    assert failed == []
    wrong = run_many([_canonical_program(p, "    return None\n") for p in problems], limits=limits)
    passed_anyway = [p["task_id"] for p, o in zip(problems, wrong, strict=True) if o.status == "passed"]
    assert passed_anyway == []
    assert all("AssertionError" in o.stderr or "Error" in o.error_line for o in wrong)


@needs_sandbox
def test_humaneval_task_scores_replies_and_keeps_the_error() -> None:
    task = humaneval()
    samples = {s.id: s for s in task.samples()}
    assert len(samples) == 164
    sample = samples["HumanEval/0"]
    request = task.build_request(sample, chat=False)
    assert request.prompt == sample.input and "\ndef " in request.params.stop
    problem = read_problems(packaged_humaneval())[0]
    good = task.score(sample, Generation(text=problem["canonical_solution"]))
    bad = task.score(sample, Generation(text="    return False\n"))
    chat = task.score(
        sample, Generation(text="```python\n" + problem["prompt"] + problem["canonical_solution"] + "```")
    )
    assert good.values["passed"] == 1.0 and chat.values["passed"] == 1.0
    assert bad.values["passed"] == 0.0 and bad.extracted.startswith("failed: AssertionError")


@needs_sandbox
@pytest.mark.parametrize("exit_early", ["exit(0)", "import os\nos._exit(0)", "raise SystemExit", "quit()"])
def test_code_that_exits_before_its_tests_does_not_pass(exit_early: str) -> None:
    task = humaneval()
    sample = next(iter(task.samples()))
    wrong = "    return False\n" + exit_early + "\n"
    score = task.score(sample, Generation(text=wrong))
    assert score.values["passed"] == 0.0 and "exited before" in (score.extracted or "")


def test_the_unsafe_switch_reads_false_as_false() -> None:
    assert humaneval(unsafe_no_sandbox="false").unsafe_no_sandbox is False  # bool("false") would be True
    assert humaneval(unsafe_no_sandbox="true").unsafe_no_sandbox is True


def test_humaneval_refuses_identical_greedy_samples() -> None:
    with pytest.raises(Exception, match="temperature > 0"):
        humaneval(samples_per_problem=5)
    task = humaneval(samples_per_problem=3, temperature=0.8)
    ids = [s.id for s in task.samples()][:3]
    assert ids == ["HumanEval/0#0", "HumanEval/0#1", "HumanEval/0#2"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("", "no problems"),
        ("{not json\n", "not valid JSON"),
        ('{"task_id": "x", "prompt": "p"}\n', "has no 'test'"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_bad_problem_files_are_clear_errors(tmp_path: Path, content: object, message: str) -> None:
    from assay.core.errors import DatasetError

    path = tmp_path / "problems.jsonl"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    with pytest.raises(DatasetError, match=message):
        read_problems(path)
    with pytest.raises(DatasetError, match="cannot read"):
        read_problems(tmp_path)  # a directory


@pytest.mark.parametrize(
    "options",
    [
        {"samples_per_problem": 0},
        {"samples_per_problem": "abc"},
        {"temperature": -1},
        {"max_tokens": 0},
        {"unsafe_no_sandbox": "maybe"},
    ],
)
def test_bad_humaneval_options_are_config_errors(options: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="humaneval"):
        humaneval(**options)  # type: ignore[arg-type]


MBPP_ROWS = [
    {
        "task_id": 1,
        "text": "Write a function to add two numbers.",
        "test_list": ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"],
        "test_setup_code": "",
    },
    {
        "task_id": 2,
        "text": "Write a function that returns the largest of a list.",
        "test_list": ["assert largest([1, 5, 2]) == 5"],
        "test_setup_code": "import math",
    },
]

MBPP_SPEC = """
name: mini_mbpp
version: 1
citation: "Austin et al., 2021, Program Synthesis with Large Language Models"
dataset: {{path: {path}}}
fields: {{id: task_id, test: test_list, setup: test_setup_code}}
prompt: "{{{{ text }}}}\\nYour code should pass: {{{{ test_list[0] }}}}"
output: {{type: generate, max_tokens: 256}}
scoring: {{type: code_execution, cpu_seconds: 5, wall_seconds: 10}}
"""


def _mbpp_task(tmp_path: Path):  # type: ignore[no-untyped-def]
    from assay.tasks.spec import load_task_spec

    data = tmp_path / "mbpp.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in MBPP_ROWS))
    spec = tmp_path / "mbpp.yaml"
    spec.write_text(MBPP_SPEC.format(path=data))
    return load_task_spec(spec)


@needs_sandbox
def test_a_task_file_can_score_by_running_code(tmp_path: Path) -> None:
    task = _mbpp_task(tmp_path)
    assert task.executes_code and task.metric_names == ("passed",) and task.aggregators == ("pass_at_k",)
    first, second = list(task.samples())
    assert first.input.endswith("Your code should pass: assert add(1, 2) == 3")
    right = task.score(first, Generation(text="```python\ndef add(a, b):\n    return a + b\n```"))
    wrong = task.score(first, Generation(text="def add(a, b):\n    return a - b\n"))
    uses_setup = task.score(second, Generation(text="def largest(xs):\n    return int(math.fsum([max(xs)]))"))
    assert right.values == {"passed": 1.0} and wrong.values == {"passed": 0.0}
    assert uses_setup.values == {"passed": 1.0}
    assert "AssertionError" in (wrong.extracted or "")


def test_code_scoring_spec_errors_name_the_field(tmp_path: Path) -> None:
    from assay.tasks.spec import read_spec_file

    bad = tmp_path / "bad.yaml"
    bad.write_text(MBPP_SPEC.format(path=tmp_path / "x.jsonl").replace("test: test_list, ", ""))
    with pytest.raises(ConfigError, match=r"fields\.test"):
        read_spec_file(bad)
    bad.write_text(MBPP_SPEC.format(path=tmp_path / "x.jsonl").replace("code_execution", "run_it"))
    with pytest.raises(ConfigError, match=r"scoring\.type"):
        read_spec_file(bad)


def test_code_tasks_refuse_to_plan_without_a_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.api import build_spec
    from assay.engine.tasks import build_task_runs
    from assay.sandbox import runner

    monkeypatch.setattr(runner, "_CHECKED", {"bwrap": "bubblewrap (bwrap) is not installed"})
    spec = build_spec(models=("smollm2-135m",), tasks=(("humaneval", {}),))
    with pytest.raises(ConfigError, match="--unsafe-no-sandbox"):
        build_task_runs(spec)
    runs = build_task_runs(
        build_spec(models=("smollm2-135m",), tasks=(("humaneval", {}),), unsafe_no_sandbox=True)
    )
    assert runs[0].task.unsafe_no_sandbox  # type: ignore[attr-defined]


@pytest.mark.slow
@needs_sandbox
def test_humaneval_end_to_end_with_a_builtin_model(tmp_path: Path) -> None:
    """A real model writes code, the sandbox runs it, the store keeps per-problem results and pass@1."""
    from typer.testing import CliRunner

    from assay.cli.main import app
    from assay.models.zoo import qwen_available

    model = "qwen2.5-coder-0.5b" if qwen_available() else "smollm2-135m"
    db = tmp_path / "runs.db"
    result = CliRunner().invoke(
        app,
        [
            "run",
            "-m",
            model,
            "-t",
            "humaneval",
            "--limit",
            "2",
            "--task-arg",
            "humaneval.max_tokens=160",
            "--db",
            str(db),
            "--json",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    from assay.store import Store

    with Store.open(db) as store:
        run = store.list_runs(1)[0]
        rows = list(store.results(run.id))
        assert run.plan.code_execution["humaneval"].startswith("bubblewrap sandbox: ")
    assert len(rows) == 2 and all(r.scores is not None for r in rows)
    assert all(r.extracted and r.extracted.split(":")[0] in ("passed", "failed", "timeout") for r in rows)
    assert '"pass@1"' in result.output
