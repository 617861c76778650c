"""What `assay judge` commands share: checking options, reading inputs, building and running a judge."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.core.errors import ConfigError

if TYPE_CHECKING:
    from assay.judge.judges import Judge
    from assay.judge.prompts import PromptTemplate
    from assay.judge.types import Answer, Question


def templates(path: Path | None) -> dict[str, PromptTemplate] | None:
    """The templates of a --prompts file (None: the built-in ones)."""
    from assay.judge.prompt_file import load_prompt_file

    return load_prompt_file(path) if path is not None else None


def build_judge(judge: str | None, kind: str, prompts: Path | None, verdicts: str = "text") -> Judge:
    from assay.judge.judges import judges
    from assay.models import build_model, parse_model

    if verdicts not in ("text", "probabilities"):
        raise ConfigError(f"--verdicts must be text or probabilities, not {verdicts!r}")
    factory = judges.get(kind)
    model = build_model(parse_model(judge)) if judge else None
    options = {"verdicts": verdicts} if verdicts != "text" else {}
    return factory(model, templates(prompts), **options)


def read_inputs(questions: Path, answers: list[Path]) -> tuple[list[Question], list[Answer]]:
    from assay.judge.files import read_answers, read_questions

    if not answers:
        raise ConfigError("give at least one --answers file or directory")
    return read_questions(questions), read_answers(answers)


def check_out(out: Path | None) -> None:
    from assay.io import check_writable

    if out is not None:
        check_writable(out)


def check_turns(value: str) -> Any:
    if value not in ("all", "first", "last"):
        raise ConfigError(f"--turns must be all, first or last, not {value!r}")
    return value


def run_judge(judge: Judge, work: Any) -> Any:
    """Await `work`, then close the judge (whatever happened)."""

    async def main() -> Any:
        try:
            return await work
        finally:
            await judge.aclose()

    return asyncio.run(main())
