"""HaluEval (Li et al., 2023, "HaluEval: A Large-Scale Hallucination Evaluation Benchmark for Large
Language Models", EMNLP): is this answer / response / summary hallucinated? Each item gives one right
and one hallucinated text; both are asked, and the model answers Yes or No (scored by likelihood).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.core.errors import DatasetError
from assay.core.registry import tasks
from assay.core.types import Sample
from assay.io import read_rows
from assay.tasks.library.base import ChoiceTask

CITATION = (
    "Li et al., 2023, HaluEval: A Large-Scale Hallucination Evaluation Benchmark for Large Language "
    "Models, EMNLP"
)
# (fields shown to the model, the right field, the hallucinated field, what is judged)
LAYOUTS: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    "qa": (("knowledge", "question"), "right_answer", "hallucinated_answer", "answer"),
    "dialogue": (("knowledge", "dialogue_history"), "right_response", "hallucinated_response", "response"),
    "summarization": (("document",), "right_summary", "hallucinated_summary", "summary"),
}


def _text(row: dict[str, Any], key: str, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(f"{where}: the row has no {key!r}")
    return value.strip()


def load(path: str, kind: str) -> list[Sample]:
    shown, right, wrong, judged = LAYOUTS[kind]
    out = []
    for i, record in enumerate(read_rows(Path(path), format="jsonl", what="dataset")):
        where, row = record.where, record.data
        context = "\n".join(
            f"{key.replace('_', ' ').capitalize()}: {_text(row, key, where)}" for key in shown
        )
        for label, key in ((0, right), (1, wrong)):
            question = (
                f"{context}\n{judged.capitalize()}: {_text(row, key, where)}\n"
                f"Does the {judged} contain information that is not supported or is false? Yes or No?\n"
                "Answer:"
            )
            out.append(
                Sample(
                    id=f"{i}/{'hallucinated' if label else 'right'}",
                    input=question,
                    choices=("No", "Yes"),
                    answer_index=label,
                    # the right and the hallucinated answer share one knowledge/question row
                    metadata=(("group", "hallucinated" if label else "right"), ("cluster", str(i))),
                )
            )
    return out


def _task(kind: str, path: str | None) -> ChoiceTask:
    if path is None:
        raise DatasetError(f"halueval_{kind}: pass path= to the HaluEval {kind}_data.json file (JSON lines)")
    return ChoiceTask(
        name=f"halueval_{kind}",
        citation=CITATION,
        loader=lambda: (load(path, kind), []),
        prompt=lambda s: s.input,
    )


@tasks.register("halueval_qa")
def halueval_qa(path: str | None = None) -> ChoiceTask:
    """HaluEval QA: knowledge + question + an answer; is the answer hallucinated?"""
    return _task("qa", path)


@tasks.register("halueval_dialogue")
def halueval_dialogue(path: str | None = None) -> ChoiceTask:
    """HaluEval dialogue: knowledge + history + a response; is the response hallucinated?"""
    return _task("dialogue", path)


@tasks.register("halueval_summarization")
def halueval_summarization(path: str | None = None) -> ChoiceTask:
    """HaluEval summarisation: document + a summary; is the summary hallucinated?"""
    return _task("summarization", path)
