"""Any BIG-bench JSON multiple-choice task (Srivastava et al., 2022, arXiv:2206.04615) from a path.

Examples with `target_scores` become multiple-choice items; the highest-scored choice is the answer.
`truthful_qa` is the 299-question BIG-bench multiple-choice subset of TruthfulQA (Lin et al., 2021).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from assay.core.errors import DatasetError
from assay.core.registry import tasks
from assay.core.types import Request, Response, Sample, Score
from assay.io import Row, read_bigbench
from assay.tasks.multiple_choice import choice_request, score_choices

BIGBENCH_ENV = "ASSAY_BIGBENCH_DIR"


def _parse_example(row: Row) -> tuple[str, tuple[str, ...], int]:
    """A multiple-choice example: its input, its options and the highest-scored one (from the
    `choices` and `answer` assay.io derives from `target_scores`)."""
    if not isinstance(row.data.get("input"), str):
        raise DatasetError(f"{row.where}: needs an 'input' string")
    choices = row.data.get("choices")
    if not isinstance(choices, list) or len(choices) < 2:
        raise DatasetError(f"{row.where}: needs 'target_scores' with at least two choices")
    return row.data["input"], tuple(str(c) for c in choices), int(row.data["answer"])


@dataclass
class BigBenchMC:
    path: Path
    name: str
    version: str = "1"
    citation: str = "Srivastava et al., 2022, Beyond the Imitation Game (BIG-bench), arXiv:2206.04615"
    output_type: Literal["multiple_choice"] = "multiple_choice"
    metric_names: tuple[str, ...] = ("acc", "acc_norm")
    _task: dict[str, Any] = field(default_factory=dict, repr=False)
    _samples: list[Sample] = field(default_factory=list, repr=False)

    def _load(self) -> list[Sample]:
        if not self._samples:
            task = read_bigbench(self.path)
            self._task = task.header
            for i, row in enumerate(task.rows):
                text, choices, answer = _parse_example(row)
                self._samples.append(Sample(id=str(i), input=text, choices=choices, answer_index=answer))
        return self._samples

    def samples(self) -> Iterator[Sample]:
        return iter(self._load())

    def build_request(self, sample: Sample, *, chat: bool) -> Request:
        self._load()
        prefix = self._task.get("task_prefix", "")
        q = self._task.get("example_input_prefix", "\nQ: ")
        a = self._task.get("example_output_prefix", "\nA: ")
        context = f"{prefix}{q}{sample.input}{a}".lstrip("\n").rstrip(" ")
        return choice_request(context, sample, chat=chat)

    def score(self, sample: Sample, response: Response) -> Score:
        return score_choices(sample, response)


def bigbench_dir() -> Path:
    env = os.environ.get(BIGBENCH_ENV)
    if not env:
        raise DatasetError(
            f"BIG-bench tasks are read from a local copy: pass path=... or set ${BIGBENCH_ENV} "
            "to the benchmark_tasks directory"
        )
    return Path(env)


def open_bigbench(path: str, name: str | None = None) -> BigBenchMC:
    """A BIG-bench task.json, or a task directory holding task.json / task_mc.json."""
    target = Path(path)
    if not target.exists():
        raise DatasetError(f"BIG-bench task path {path} does not exist")
    if target.is_dir():
        for candidate in ("task_mc.json", "task.json"):
            if (target / candidate).is_file():
                target = target / candidate
                break
        else:
            raise DatasetError(f"{path}: no task.json or task_mc.json in this directory")
    return BigBenchMC(path=target, name=name or f"bigbench:{target.parent.name}")


@tasks.register("bigbench")
def bigbench(path: str, name: str | None = None) -> BigBenchMC:
    """A BIG-bench task.json, or a task directory holding task.json / task_mc.json."""
    return open_bigbench(path, name)


@tasks.register("truthful_qa_mc")
def truthful_qa_mc(path: str | None = None) -> BigBenchMC:
    target = Path(path) if path else bigbench_dir() / "truthful_qa"
    return open_bigbench(str(target), name="truthful_qa_mc")
