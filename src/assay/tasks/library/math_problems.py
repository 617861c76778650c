"""MATH (Hendrycks et al., 2021, "Measuring Mathematical Problem Solving With the MATH Dataset",
NeurIPS Datasets and Benchmarks): competition problems; the final answer is the last \\boxed{...} of
the solution, compared after normalising LaTeX (fractions, spacing, units, dollar signs).

Data: the original folders of one JSON file per problem (`test/<topic>/<n>.json`) or a JSONL file,
each with `problem`, `solution` and optionally `level` and `type`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from assay.core.errors import DatasetError
from assay.core.registry import tasks
from assay.core.types import GenerateRequest, GenerationParams, Message, Request, Response, Sample, Score
from assay.io import read_json, read_rows

CITATION = (
    "Hendrycks et al., 2021, Measuring Mathematical Problem Solving With the MATH Dataset, "
    "NeurIPS Datasets and Benchmarks"
)
INSTRUCTION = "Solve the problem. Put the final answer, and only the final answer, in \\boxed{}."


def last_boxed(text: str) -> str | None:
    """The contents of the last \\boxed{...} (or \\fbox{...}), braces balanced; None when there is none."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    brace = text.find("{", start)
    if brace < 0:
        rest = text[start + len("\\boxed") :].strip()  # "\\boxed 5"
        return rest.split()[0].rstrip("$.") if rest else None
    depth = 0
    for i in range(brace, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[brace + 1 : i]
    return None


_REPLACEMENTS = (
    ("\\left", ""),
    ("\\right", ""),
    ("\\!", ""),
    ("\\,", ""),
    ("\\;", ""),
    ("\\ ", ""),
    ("dfrac", "frac"),
    ("tfrac", "frac"),
    ("^\\circ", ""),
    ("^{\\circ}", ""),
    ("\\$", ""),
    ("$", ""),
    ("\\%", ""),
    ("%", ""),
)


def normalize_math_answer(answer: str) -> str:
    """A canonical string for comparing final answers: '\\dfrac{1}{2}' == '\\frac12' == '1/2'... (the common
    cases: no spaces, \\left/\\right, units in \\text{}, trailing '.0', '0.5' vs '.5')."""
    text = answer.strip()
    text = re.sub(
        r"\\text\{\s*[a-zA-Z ]*(?:units?|cm|m|inches|inch|feet|ft|degrees|dollars|cents)\s*\}", "", text
    )
    text = re.sub(r"\\(?:text|textbf|mathrm|mbox)\{([^{}]*)\}", r"\1", text)
    for old, new in _REPLACEMENTS:
        text = text.replace(old, new)
    text = text.replace(" ", "").rstrip(".")
    text = re.sub(r"\\frac(\d)(\d)", r"\\frac{\1}{\2}", text)  # \frac12
    text = re.sub(r"\\frac\{?(\d)\}?(\d)\b", r"\\frac{\1}{\2}", text)
    text = re.sub(r"^(-?\d+)/(\d+)$", r"\\frac{\1}{\2}", text)  # 1/2
    text = re.sub(r"\\sqrt(\d)", r"\\sqrt{\1}", text)
    if re.fullmatch(r"-?\d+\.0+", text):
        text = text.split(".")[0]
    if text.startswith("."):
        text = "0" + text
    if re.fullmatch(r"[a-z]=.+", text):  # "x=5" -> "5"
        text = text.split("=", 1)[1]
    return text


def _rows(path: Path) -> Iterator[tuple[str, Any]]:
    """(where, problem): one JSON file per problem in the original folders, or a rows file."""
    if path.is_dir():
        files = sorted(path.rglob("*.json"))
        if not files:
            raise DatasetError(f"MATH: no problem files (*.json) under {path}")
        for file in files:
            yield str(file), read_json(file, what="MATH problem")
    else:
        yield from ((row.where, row.data) for row in read_rows(path, what="dataset"))


@dataclass
class MathTask:
    path: Path
    max_tokens: int = 512
    name: str = "math"
    version: str = "1"
    citation: str = CITATION
    output_type: Literal["generate"] = "generate"
    metric_names: tuple[str, ...] = ("exact_match",)
    _samples: list[Sample] = field(default_factory=list, repr=False)

    def samples(self) -> Iterator[Sample]:
        if not self._samples:
            for i, (where, row) in enumerate(_rows(self.path)):
                if not isinstance(row, dict):
                    raise DatasetError(f"{where}: expected a JSON object, got {type(row).__name__}")
                problem, solution = row.get("problem"), row.get("solution")
                if not isinstance(problem, str) or not isinstance(solution, str):
                    raise DatasetError(f"{where}: needs 'problem' and 'solution' strings")
                target = last_boxed(solution)
                if target is None:
                    raise DatasetError(f"{where}: the solution has no \\boxed{{}} answer")
                self._samples.append(
                    Sample(
                        id=str(row.get("unique_id", i)),
                        input=problem,
                        target=target,
                        metadata=(("group", str(row.get("type", ""))), ("level", str(row.get("level", "")))),
                    )
                )
            if not self._samples:
                raise DatasetError(f"MATH: {self.path} has no problems")
        return iter(self._samples)

    def build_request(self, sample: Sample, *, chat: bool) -> Request:
        params = GenerationParams(max_tokens=self.max_tokens, temperature=0.0)
        if chat:
            return GenerateRequest(
                messages=(Message("user", f"{INSTRUCTION}\n\n{sample.input}"),), params=params
            )
        return GenerateRequest(
            prompt=f"Problem: {sample.input}\n{INSTRUCTION}\nSolution:",
            params=GenerationParams(max_tokens=self.max_tokens, temperature=0.0, stop=("\nProblem:",)),
        )

    def score(self, sample: Sample, response: Response) -> Score:
        answer = last_boxed(getattr(response, "text", ""))
        right = answer is not None and normalize_math_answer(answer) == normalize_math_answer(
            sample.target or ""
        )
        return Score(values={"exact_match": float(right)}, extracted=answer)


@tasks.register("math")
def math_task(path: str | None = None, max_tokens: int = 512) -> MathTask:
    """MATH test problems from a local copy (folders of JSON files, or JSONL)."""
    if path is None:
        raise DatasetError("math: pass path= to a local copy of the MATH test set (folders or JSONL)")
    return MathTask(path=Path(path), max_tokens=max_tokens)
