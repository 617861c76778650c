"""Agent problems from files: assay's task-file format (YAML or JSON) and SWE-bench-style instances.

Task file: one problem, or `problems:` with a list of them::

    id: fix-median               # unique within the file
    goal: The median of an even-length list is wrong; fix stats.median.
    files: {stats.py: "...", test_stats.py: "..."}    # or files_dir: a directory next to the file
    tests: [test_stats, test_hidden]                   # unittest names run at scoring
    hidden_files: {test_hidden.py: "..."}             # added only at scoring
    solution: "--- a/stats.py ..."                    # optional: a unified diff that resolves it

SWE-bench instance file (JSON list or JSONL): `instance_id`, `problem_statement`, `patch` (the gold
fix), `test_patch` (applied at scoring), `FAIL_TO_PASS` and `PASS_TO_PASS` (lists, or JSON text of
lists, of test names); the repository snapshot is the directory `repo_dir` names, else a directory
called like the instance id next to the file. Test names in pytest form (`tests/test_a.py::T::test_b`)
become unittest names (`tests.test_a.T.test_b`); the snapshot's tests must run under unittest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from assay.core.errors import DatasetError
from assay.tasks.agent.problem import AgentProblem
from assay.tasks.agent.workspace import read_tree

FIELDS = {"id", "goal", "files", "files_dir", "tests", "hidden_files", "test_patch", "solution", "protected"}


def read_task_file(path: Path) -> list[AgentProblem]:
    """The problems of a task file; every mistake names the file and the problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DatasetError(f"{path}: cannot read the agent task file ({str(exc).splitlines()[0]})") from None
    items = data.get("problems") if isinstance(data, dict) and "problems" in data else [data]
    if not isinstance(items, list) or not items:
        raise DatasetError(f"{path}: expected a problem, or 'problems:' with a list of them")
    problems = [_problem(item, path, n) for n, item in enumerate(items, 1)]
    _check_unique(problems, path)
    return problems


def _problem(item: Any, path: Path, n: int) -> AgentProblem:
    where = f"{path}: problem {n}"
    if not isinstance(item, dict):
        raise DatasetError(f"{where}: expected a mapping of fields")
    unknown = sorted(set(item) - FIELDS)
    if unknown:
        raise DatasetError(f"{where}: unknown field {unknown[0]!r} (known: {', '.join(sorted(FIELDS))})")
    for name in ("id", "goal", "tests"):
        if not item.get(name):
            raise DatasetError(f"{where}: the field {name!r} is missing or empty")
    files = _files(item, path, where)
    tests = item["tests"]
    if not isinstance(tests, list) or not all(isinstance(t, str) and t for t in tests):
        raise DatasetError(f"{where}: 'tests' must be a list of unittest names")
    return AgentProblem(
        id=str(item["id"]),
        goal=str(item["goal"]),
        files=files,
        tests=tuple(tests),
        hidden_files=_text_map(item.get("hidden_files", {}), f"{where}: hidden_files"),
        test_patch=str(item.get("test_patch", "")),
        solution=str(item.get("solution", "")),
        protected=tuple(item.get("protected", ())),
        source=str(path),
    )


def _files(item: Mapping[str, Any], path: Path, where: str) -> dict[str, str]:
    if "files_dir" in item:
        folder = path.parent / str(item["files_dir"])
        if not folder.is_dir():
            raise DatasetError(f"{where}: files_dir {folder} is not a directory")
        return read_tree(folder)
    return _text_map(item.get("files", {}), f"{where}: files")


def _text_map(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise DatasetError(f"{where} must map file names to their text")
    return {str(k): v for k, v in value.items()}


def _check_unique(problems: list[AgentProblem], path: Path) -> None:
    seen: set[str] = set()
    for problem in problems:
        if problem.id in seen:
            raise DatasetError(f"{path}: problem id {problem.id!r} appears twice")
        seen.add(problem.id)


def read_swebench(path: Path) -> list[AgentProblem]:
    """SWE-bench-style instances (a JSON list or JSONL) with their repository snapshots."""
    try:
        text = path.read_text(encoding="utf-8")
        rows = json.loads(text) if text.lstrip().startswith("[") else [
            json.loads(line) for line in text.splitlines() if line.strip()
        ]  # fmt: skip
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read SWE-bench instances ({exc})") from None
    problems = [_instance(row, path, n) for n, row in enumerate(rows, 1)]
    _check_unique(problems, path)
    return problems


def _instance(row: Any, path: Path, n: int) -> AgentProblem:
    where = f"{path}: instance {n}"
    if not isinstance(row, dict):
        raise DatasetError(f"{where}: expected a JSON object")
    for name in ("instance_id", "problem_statement", "FAIL_TO_PASS"):
        if not row.get(name):
            raise DatasetError(f"{where}: the field {name!r} is missing or empty")
    snapshot = path.parent / str(row.get("repo_dir") or row["instance_id"])
    if not snapshot.is_dir():
        raise DatasetError(f"{where}: no repository snapshot at {snapshot}")
    tests = [*_test_names(row["FAIL_TO_PASS"], where), *_test_names(row.get("PASS_TO_PASS", []), where)]
    return AgentProblem(
        id=str(row["instance_id"]),
        goal=str(row["problem_statement"]),
        files=read_tree(snapshot),
        tests=tuple(tests),
        test_patch=str(row.get("test_patch", "")),
        solution=str(row.get("patch", "")),
        source=str(path),
    )


def _test_names(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise DatasetError(f"{where}: test lists must be JSON lists of names") from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DatasetError(f"{where}: test lists must be lists of names")
    return [unittest_name(v) for v in value]


def unittest_name(name: str) -> str:
    """`tests/test_a.py::T::test_b` -> `tests.test_a.T.test_b`; a unittest name stays as it is."""
    if "::" not in name and not name.endswith(".py"):
        return name
    module, *rest = name.split("::")
    module = module.removesuffix(".py").replace("/", ".")
    return ".".join([module, *rest])
