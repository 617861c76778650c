"""Questions, answers and judgements as JSON records (pure; files are read in assay.judge.files).

Questions: {"question_id", "turns": [...] | "question": str, "category"?, "reference"?: [...] | str}
(FastChat's MT-Bench question.jsonl fits). Answers: {"question_id", "model" | "model_id",
"turns": [...] | "answer": str | "choices": [{"turns": [...]}]} (FastChat's model_answer files fit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from assay.core.errors import DatasetError
from assay.judge.types import Answer, Grade, PairwiseJudgement, Question


def _texts(value: Any, where: str, field: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise DatasetError(f"{where}: {field!r} must be a string or a non-empty list of strings")


def _name(value: Any, where: str, field: str) -> str:
    """An id or a model name: a string or a whole number, as text."""
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
        raise DatasetError(f"{where}: {field!r} must be a non-empty string or a number, got {value!r}")
    return str(value)


def question_from_record(record: Mapping[str, Any], *, where: str = "question") -> Question:
    qid = record.get("question_id", record.get("id"))
    if qid is None:
        raise DatasetError(f"{where}: missing 'question_id'")
    qid = _name(qid, where, "question_id")
    if "turns" in record:
        turns = _texts(record["turns"], where, "turns")
    elif "question" in record:
        turns = _texts(record["question"], where, "question")
    else:
        raise DatasetError(f"{where}: needs 'turns' (a list) or 'question' (a string)")
    reference = record.get("reference")
    refs = _texts(reference, where, "reference") if reference not in (None, [], "") else None
    category = record.get("category")
    return Question(
        id=str(qid), turns=turns, category=None if category is None else str(category), reference=refs
    )


def answer_from_record(record: Mapping[str, Any], *, where: str = "answer") -> Answer:
    qid = record.get("question_id")
    model = record.get("model", record.get("model_id"))
    if qid is None or model is None:
        raise DatasetError(f"{where}: needs 'question_id' and 'model' (or 'model_id')")
    qid, model = _name(qid, where, "question_id"), _name(model, where, "model")
    if "turns" in record:
        turns = _texts(record["turns"], where, "turns")
    elif "answer" in record:
        turns = _texts(record["answer"], where, "answer")
    elif isinstance(record.get("choices"), list) and record["choices"]:
        first = record["choices"][0]
        turns = _texts(first.get("turns") if isinstance(first, Mapping) else None, where, "choices[0].turns")
    else:
        raise DatasetError(f"{where}: needs 'turns', 'answer' or FastChat 'choices'")
    return Answer(question_id=str(qid), model=str(model), turns=turns)


def judgement_record(j: PairwiseJudgement) -> dict[str, Any]:
    """A judged pair as one JSON row: the human-judgment columns first, then the audit trail."""
    return {
        "question_id": j.question_id,
        "model_a": j.model_a,
        "model_b": j.model_b,
        "winner": j.winner,
        "judge": j.judge,
        "turn": j.turn,
        "consistent": j.consistent,
        "error": j.error,
        "length_a": j.length_a,
        "length_b": j.length_b,
        "forward": asdict(j.forward),
        "backward": asdict(j.backward) if j.backward else None,
    }


def judgement_from_record(record: Mapping[str, Any]) -> PairwiseJudgement:
    from assay.judge.types import OrderedJudgement

    def ordered(data: Any) -> OrderedJudgement | None:
        return None if data is None else OrderedJudgement(**data)

    forward = ordered(record["forward"])
    if forward is None:
        raise TypeError("'forward' is null")
    return PairwiseJudgement(
        question_id=str(record["question_id"]),
        model_a=record["model_a"],
        model_b=record["model_b"],
        turn=int(record["turn"]),
        judge=record["judge"],
        forward=forward,
        backward=ordered(record.get("backward")),
        winner=record.get("winner"),
        consistent=record.get("consistent"),
        error=record.get("error"),
        length_a=int(record["length_a"]),
        length_b=int(record["length_b"]),
    )


def grade_record(g: Grade) -> dict[str, Any]:
    return asdict(g)
