"""Judge inputs as records: questions, answers (files or FastChat answer folders) and votes, read through
assay.io (JSON lines or a JSON list); judgements are written with assay.io.write_jsonl."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from assay.core.errors import DatasetError
from assay.io import check_unique_ids, read_rows
from assay.judge.agreement import Vote, vote_from_record
from assay.judge.records import answer_from_record, question_from_record
from assay.judge.types import Answer, Question

T = TypeVar("T")


def read_records(path: Path, what: str = "judge file") -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, record) per row of a JSONL file or a JSON list; `where` is `file:line` for messages."""
    return ((row.where, row.data) for row in read_rows(path, what=what))


def _read(path: Path, convert: Callable[..., T], what: str) -> list[tuple[str, T]]:
    return [(where, convert(record, where=where)) for where, record in read_records(path, what)]


def read_questions(path: Path) -> list[Question]:
    found = _read(path, question_from_record, "questions file")
    if not found:
        raise DatasetError(f"{path}: no questions")
    check_unique_ids(((q.id, where) for where, q in found), "question id")
    return [q for _, q in found]


def read_answers(paths: Iterable[Path]) -> list[Answer]:
    """Answers from JSONL files, or from every *.jsonl in a directory (FastChat's model_answer/)."""
    answers: list[Answer] = []
    for path in paths:
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        for file in files:
            answers.extend(a for _, a in _read(file, answer_from_record, "answers file"))
    if not answers:
        raise DatasetError("no answers found in " + ", ".join(str(p) for p in paths))
    return answers


def read_votes(path: Path) -> list[Vote]:
    votes = [v for _, v in _read(path, vote_from_record, "votes file")]
    if not votes:
        raise DatasetError(f"{path}: no votes")
    return votes
