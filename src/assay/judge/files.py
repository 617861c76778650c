"""Reading and writing judge inputs and outputs: JSONL (or a JSON list) files, answer directories."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from assay.core.errors import ConfigError, DatasetError
from assay.judge.agreement import Vote, vote_from_record
from assay.judge.records import answer_from_record, question_from_record
from assay.judge.types import Answer, Question

T = TypeVar("T")


def read_records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, record) per row of a JSONL file or a JSON list; `where` is "file:line" for messages."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DatasetError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror}") from None
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        for i, row in enumerate(rows, start=1):
            yield f"{path} item {i}", _mapping(row, f"{path} item {i}")
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            yield where, _mapping(json.loads(line), where)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where}: not valid JSON ({exc.msg})") from None


def _mapping(row: Any, where: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise DatasetError(f"{where}: expected a JSON object")
    return row


def _read(path: Path, convert: Callable[..., T]) -> list[T]:
    return [convert(record, where=where) for where, record in read_records(path)]


def read_questions(path: Path) -> list[Question]:
    questions = _read(path, question_from_record)
    seen: set[str] = set()
    for q in questions:
        if q.id in seen:
            raise DatasetError(f"{path}: question id {q.id!r} appears twice")
        seen.add(q.id)
    if not questions:
        raise DatasetError(f"{path}: no questions")
    return questions


def read_answers(paths: Iterable[Path]) -> list[Answer]:
    """Answers from JSONL files, or from every *.jsonl in a directory (FastChat's model_answer/)."""
    answers: list[Answer] = []
    for path in paths:
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        for file in files:
            answers.extend(_read(file, answer_from_record))
    if not answers:
        raise DatasetError("no answers found in " + ", ".join(str(p) for p in paths))
    return answers


def read_votes(path: Path) -> list[Vote]:
    votes = _read(path, vote_from_record)
    if not votes:
        raise DatasetError(f"{path}: no votes")
    return votes


def check_writable(path: Path) -> None:
    """Fail before the work, not after it: `path` can be written (its folder is made if missing)."""
    if path.is_dir():
        raise ConfigError(f"cannot write {path}: it is a directory")
    parent = next((p for p in path.absolute().parents if p.exists()), None)
    if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK):
        raise ConfigError(f"cannot write {path}: {parent} is not a writable folder")


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write atomically (a temporary file renamed into place)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        with tmp.open("w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        tmp.replace(path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None
