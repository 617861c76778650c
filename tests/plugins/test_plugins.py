"""Plugins: a third-party package adds a model backend, a task, an aggregator and a judge through the
`assay.plugins` entry-point group, without editing assay; registries fill themselves before a lookup.

The plugin is a real installed distribution (a `.dist-info` with `entry_points.txt` on sys.path, which
importlib.metadata finds like any pip-installed package), used by assay in a fresh process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from plugin_kit import install_plugin


def assay(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-m", "assay", *args], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    install_plugin(folder, "echo_plugin")
    return folder


def test_a_plugin_adds_a_backend_task_and_aggregator_that_run_end_to_end(site: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "p.db")
    proc = assay(site, "run", "-m", "echo:42", "-t", "forty_two", "--json", "--no-progress", "--db", db)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert [(r["task"], r["metric"], r["value"], r["n"]) for r in result["rows"]] == [
        ("forty_two", "says_42", 1.0, 3)
    ]
    assert {(m["metric"], m["value"]) for m in result["run_level"]} >= {("answered", 3.0)}
    wrong = assay(site, "run", "-m", "echo:41", "-t", "forty_two", "--json", "--no-progress", "--db", db)
    assert json.loads(wrong.stdout)["rows"][0]["value"] == 0.0  # the model is in the key: no cache hit


def test_plugin_names_are_listed(site: Path) -> None:
    listed = json.loads(assay(site, "models", "--json").stdout)
    assert "echo" in listed["backends"]
    tasks = assay(site, "tasks", "list").stdout
    assert "forty_two" in tasks


def test_safety_tasks_are_known_without_importing_safety(site: Path, tmp_path: Path) -> None:
    # Once a bug: safety tasks registered only when assay.safety happened to be imported.
    db = str(tmp_path / "s.db")
    proc = assay(site, "run", "-m", "echo:no", "-t", "safety_refusals", "--limit", "2", "--json",
                 "--no-progress", "--db", db)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["rows"][0]["task"] == "safety_refusals"


def test_a_broken_plugin_is_named_and_does_not_stop_assay(site: Path) -> None:
    install_plugin(site, "broken_plugin", "raise ImportError('needs libfoo')\n")
    proc = assay(site, "run", "-m", "echo:1", "-t", "no_such_task", "--no-progress")
    assert proc.returncode == 2
    assert "unknown task 'no_such_task'" in proc.stderr and "broken_plugin" in proc.stderr
    assert "needs libfoo" in proc.stderr and "Traceback" not in proc.stderr
    assert "forty_two" in assay(site, "tasks", "list").stdout  # the good plugin still loads
