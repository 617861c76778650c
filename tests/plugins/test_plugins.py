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
import textwrap
from pathlib import Path

import pytest

PLUGIN = '''
"""A third party's assay plugin: an echo backend, a task, an aggregator and a judge."""
from dataclasses import dataclass

from assay.core.protocols import Model
from assay.core.registry import aggregators, judges, model_backends, tasks
from assay.core.types import (ContinuationScore, GenerateRequest, Generation, LoglikelihoodRequest,
                              LoglikelihoodResult, Sample, Score)


class EchoModel(Model):
    """Answers every question with the text after "echo:" in its name."""

    def __init__(self, spec):
        self.name = spec.name
        self.reply = spec.arg("target")
        self.identity = {"backend": "echo", "reply": self.reply}
        self.max_concurrency = 4

    async def generate(self, request: GenerateRequest) -> Generation:
        return Generation(text=f"The answer is {self.reply}.")

    async def loglikelihood(self, request: LoglikelihoodRequest) -> LoglikelihoodResult:
        return LoglikelihoodResult(tuple(ContinuationScore(-float(i), 1, i == 0)
                                         for i in range(len(request.continuations))))

    async def aclose(self) -> None:
        return None


@model_backends.register("echo")
def echo(spec):
    return EchoModel(spec)


@dataclass
class FortyTwo:
    name: str = "forty_two"
    version: str = "1"
    output_type: str = "generate"
    metric_names: tuple = ("says_42",)
    aggregators: tuple = ("answer_count",)

    def samples(self):
        return [Sample(id=str(i), input=f"Question {i}?", target="42") for i in range(3)]

    def build_request(self, sample, *, chat):
        return GenerateRequest(prompt=sample.input)

    def score(self, sample, response):
        return Score(values={"says_42": float("42" in response.text)}, extracted=response.text)


@tasks.register("forty_two")
def forty_two():
    return FortyTwo()


@aggregators.register("answer_count")
def answer_count(items):
    return {"answered": float(len(items))}


@judges.register("always-a")
def always_a(model, templates, **options):
    raise NotImplementedError  # only its registration is checked here
'''


def install_plugin(site: Path, name: str, module_source: str, target: str) -> None:
    """A distribution `name` whose entry point in group assay.plugins is `target`."""
    (site / f"{name}.py").write_text(textwrap.dedent(module_source), encoding="utf-8")
    info = site / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[assay.plugins]\n{name} = {target}\n", encoding="utf-8")


def assay(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-m", "assay", *args], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    install_plugin(folder, "echo_plugin", PLUGIN, "echo_plugin")
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
    install_plugin(site, "broken_plugin", "raise ImportError('needs libfoo')\n", "broken_plugin")
    proc = assay(site, "run", "-m", "echo:1", "-t", "no_such_task", "--no-progress")
    assert proc.returncode == 2
    assert "unknown task 'no_such_task'" in proc.stderr and "broken_plugin" in proc.stderr
    assert "needs libfoo" in proc.stderr and "Traceback" not in proc.stderr
    assert "forty_two" in assay(site, "tasks", "list").stdout  # the good plugin still loads
