"""A third party's assay plugin, installed by tests as a real distribution: a `.dist-info` with
`entry_points.txt` in a folder on sys.path, which importlib.metadata finds like any pip-installed package.
The plugin adds an echo model backend, a task, an aggregator and a judge."""

from __future__ import annotations

import textwrap
from pathlib import Path

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


def install_plugin(site: Path, name: str, module_source: str = PLUGIN) -> None:
    """A distribution `name` (module `name`) whose entry point in group assay.plugins is that module."""
    target = name
    (site / f"{name}.py").write_text(textwrap.dedent(module_source), encoding="utf-8")
    info = site / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[assay.plugins]\n{name} = {target}\n", encoding="utf-8")
