"""What a judge is given: questions and answers, from files (JSONL, JSON lists, FastChat answer folders)
or as records already in memory, and how a judge run records where they came from."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.core.errors import ConfigError
from assay.judge.files import read_answers, read_questions
from assay.judge.types import Answer, Question

PathLike = str | os.PathLike[str]
QuestionsLike = PathLike | Sequence[Question]
AnswersLike = PathLike | Sequence[PathLike] | Sequence[Answer]


@dataclass(frozen=True)
class JudgeInputs:
    questions: tuple[Question, ...]
    answers: tuple[Answer, ...]
    # Where they came from, for the run record: file paths, or a count of records given in memory.
    sources: dict[str, Any]


def load_inputs(questions: QuestionsLike, answers: AnswersLike) -> JudgeInputs:
    """Questions, then answers (files are read in that order, so the first bad file is the one named)."""
    if isinstance(questions, str | os.PathLike):
        qs = read_questions(Path(questions))
        q_source: Any = str(questions)
    else:
        qs = list(questions)
        q_source = f"{len(qs)} questions given in memory"
        if not all(isinstance(q, Question) for q in qs):
            raise ConfigError("questions must be a file path or Question records")
    items: list[Any] = [answers] if isinstance(answers, str | os.PathLike) else list(answers)
    if not items:
        raise ConfigError("give at least one answers file or directory")
    if all(isinstance(a, str | os.PathLike) for a in items):
        ans = read_answers([Path(a) for a in items])
        a_source: Any = [str(a) for a in items]
    elif all(isinstance(a, Answer) for a in items):
        ans = items
        a_source = f"{len(ans)} answers given in memory"
    else:
        raise ConfigError("answers must be file paths or Answer records, not a mix")
    return JudgeInputs(tuple(qs), tuple(ans), {"questions": q_source, "answers": a_source})
