"""Agent problems: every library problem is solvable (its solution resolves it, through the sandbox),
task files and SWE-bench-style instances read right, and the patch applier stays confined."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assay.core.errors import AssayError
from assay.sandbox import sandbox_problem
from assay.tasks.agent import patching
from assay.tasks.agent.files import read_swebench, read_task_file, unittest_name
from assay.tasks.agent.problem import score_files
from assay.tasks.agent.task import agent
from assay.tasks.agent.workspace import read_tree, write_tree

needs_sandbox = pytest.mark.skipif(sandbox_problem() is not None, reason="bubblewrap cannot run here")


def solved(problem, tmp: Path) -> dict[str, str]:
    write_tree(tmp, problem.files)
    patching.apply(str(tmp), problem.solution)
    return read_tree(tmp)


@needs_sandbox
def test_every_library_problem_is_resolved_by_its_solution_and_not_by_its_starting_files(tmp_path):
    problems = list(agent().problems.values())
    assert len(problems) >= 20 and all(p.solution and p.hidden_files for p in problems)
    finals = [solved(p, tmp_path / p.id) for p in problems]
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(score_files, problems, finals))
    assert [(p.id, o.resolved) for p, o in zip(problems, outcomes, strict=True)] == [
        (p.id, True) for p in problems
    ]
    # The scorer is not fooled: starting files fail, and so does editing the visible test to pass.
    clamp = agent(problems="clamp").problems["clamp"]
    assert not score_files(clamp, clamp.files).resolved
    cheat = {**clamp.files, "test_bounds.py": "import unittest\n"}
    assert not score_files(clamp, cheat).resolved
    early_exit = {**clamp.files, "bounds.py": "import os\nos._exit(0)\n"}
    assert not score_files(clamp, early_exit).resolved


def test_task_files_name_the_file_and_problem_of_every_mistake(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "problems:\n- id: a\n  goal: g\n  files: {m.py: 'x = 1\\n'}\n  tests: [test_m]\n- id: b\n"
    )
    with pytest.raises(AssayError, match=r"mine.yaml: problem 2: the field 'goal' is missing"):
        read_task_file(path)
    path.write_text("id: a\ngoal: g\nfiles_dir: repo\ntests: [test_m]\nflavour: x\n")
    with pytest.raises(AssayError, match="unknown field 'flavour'"):
        read_task_file(path)
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "m.py").write_text("x = 1\n")
    path.write_text("id: a\ngoal: g\nfiles_dir: repo\ntests: [test_m]\n")
    (problem,) = read_task_file(path)
    assert problem.files == {"m.py": "x = 1\n"} and problem.tests == ("test_m",)


@needs_sandbox
def test_a_swebench_style_instance_is_read_and_scored_with_its_test_patch(tmp_path):
    repo = tmp_path / "tiny__calc-1"
    (repo / "calc").mkdir(parents=True)
    (repo / "calc" / "__init__.py").write_text("")
    (repo / "calc" / "ops.py").write_text("def add(a, b):\n    return a - b\n")
    (repo / "tests").mkdir()
    (repo / "tests" / "__init__.py").write_text("")
    (repo / "tests" / "test_old.py").write_text(
        "import unittest\nfrom calc import ops\n\nclass T(unittest.TestCase):\n"
        "    def test_exists(self):\n        self.assertTrue(callable(ops.add))\n"
    )
    test_patch = (
        "--- /dev/null\n+++ b/tests/test_add.py\n@@ -0,0 +1,5 @@\n+import unittest\n+from calc import ops\n"
        "+class T(unittest.TestCase):\n+    def test_add(self):\n"
        "+        self.assertEqual(ops.add(2, 3), 5)\n"
    )
    gold = (
        "--- a/calc/ops.py\n+++ b/calc/ops.py\n@@ -1,2 +1,2 @@\n"
        " def add(a, b):\n-    return a - b\n+    return a + b\n"
    )
    instance = {
        "instance_id": "tiny__calc-1",
        "problem_statement": "add() subtracts.",
        "patch": gold,
        "test_patch": test_patch,
        "FAIL_TO_PASS": json.dumps(["tests/test_add.py::T::test_add"]),
        "PASS_TO_PASS": ["tests.test_old.T.test_exists"],
    }
    path = tmp_path / "instances.jsonl"
    path.write_text(json.dumps(instance) + "\n")
    (problem,) = read_swebench(path)
    assert problem.tests == ("tests.test_add.T.test_add", "tests.test_old.T.test_exists")
    assert not score_files(problem, problem.files).resolved
    outcome = score_files(problem, solved(problem, tmp_path / "work"))
    assert outcome.resolved and outcome.tests_run == 2


def test_unittest_names_from_pytest_ids():
    assert unittest_name("tests/test_a.py::TestX::test_y") == "tests.test_a.TestX.test_y"
    assert unittest_name("tests.test_a.TestX") == "tests.test_a.TestX"


def test_patches_apply_with_shifted_line_numbers_and_all_or_nothing(tmp_path):
    (tmp_path / "a.py").write_text("one\ntwo\nthree\n")
    (tmp_path / "b.py").write_text("x\n")
    shifted = "--- a/a.py\n+++ b/a.py\n@@ -9,2 +9,2 @@\n two\n-three\n+THREE\n"
    assert patching.apply(str(tmp_path), shifted) == ["a.py"]
    assert (tmp_path / "a.py").read_text() == "one\ntwo\nTHREE\n"
    broken = "--- a/b.py\n+++ b/b.py\n@@ -1 +1 @@\n-x\n+y\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-nope\n+z\n"
    with pytest.raises(patching.PatchError, match="does not match"):
        patching.apply(str(tmp_path), broken)
    assert (tmp_path / "b.py").read_text() == "x\n"  # nothing changed
    with pytest.raises(patching.PatchError, match="no file changes"):
        patching.apply(str(tmp_path), "just words")


def test_agentic_metrics_over_repeated_attempts():
    from assay.core.types import Sample, Score
    from assay.metrics.agentic import agentic_summary

    def attempt(problem: str, k: int, resolved: float, errors: float) -> tuple[Sample, Score]:
        values = {
            "resolved": resolved,
            "turns": 4.0,
            "tokens": 100.0,
            "tool_calls": 4.0,
            "tool_errors": errors,
        }
        return Sample(id=f"{problem}#{k}", input="", metadata=(("problem", problem),)), Score(values=values)

    items = [
        attempt("a", 0, 1.0, 0.0),
        attempt("a", 1, 0.0, 2.0),
        attempt("b", 0, 0.0, 0.0),
        attempt("b", 1, 0.0, 0.0),
    ]
    out = agentic_summary(items)
    assert out["resolved_rate"] == 0.25 and out["resolved_low"] < 0.25 < out["resolved_high"]
    assert out["pass@1"] == 0.25 and "pass@10" not in out  # pass@1 = mean over problems of c/n
    assert out["tool_error_rate"] == 2 / 16 and out["mean_turns"] == 4.0 and "cost_usd" not in out
