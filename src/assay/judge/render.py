"""Which template a judgement uses and the values that fill it (pure)."""

from __future__ import annotations

from assay.core.errors import DatasetError
from assay.judge.prompts import render_conversation, render_references, template_name
from assay.judge.types import Answer, Question


def _check_turn(question: Question, answers: tuple[Answer, ...], turn: int) -> None:
    if not 1 <= turn <= len(question.turns):
        raise DatasetError(f"question {question.id!r} has {len(question.turns)} turn(s), not turn {turn}")
    for answer in answers:
        if len(answer.turns) < turn:
            raise DatasetError(
                f"{answer.model!r} answered {len(answer.turns)} turn(s) of question "
                f"{question.id!r}; turn {turn} is missing"
            )


def _reference(question: Question, turn: int, multi: bool) -> str | None:
    if not question.reference:
        return None
    refs = question.reference[:turn] if multi else question.reference[turn - 1 : turn]
    return render_references(refs) if refs else None


def pairwise_prompt(
    question: Question, first: Answer, second: Answer, turn: int, *, flatten: bool = False
) -> tuple[str, dict[str, str]]:
    """(template name, values) with `first` as assistant A. Turn 1 of any question is single-turn;
    a later turn shows both conversations up to it. `flatten` always gives single-turn values
    (the last user turn and the two replies), for the direct-verdict template."""
    _check_turn(question, (first, second), turn)
    multi = turn > 1 and not flatten
    reference = _reference(question, turn, multi)
    values: dict[str, str] = {}
    if multi:
        values["conversation_a"] = render_conversation(question.turns[:turn], first.turns[:turn])
        values["conversation_b"] = render_conversation(question.turns[:turn], second.turns[:turn])
    else:
        values.update(
            question=question.turns[turn - 1], answer_a=first.turns[turn - 1], answer_b=second.turns[turn - 1]
        )
    if reference is not None:
        values["reference"] = reference
    return template_name("pairwise", multi_turn=multi, reference=reference is not None), values


def single_prompt(question: Question, answer: Answer, turn: int) -> tuple[str, dict[str, str]]:
    _check_turn(question, (answer,), turn)
    multi = turn > 1
    reference = _reference(question, turn, multi)
    values: dict[str, str] = {}
    if multi:
        values["conversation"] = render_conversation(question.turns[:turn], answer.turns[:turn])
    else:
        values.update(question=question.turns[0], answer=answer.turns[0])
    if reference is not None:
        values["reference"] = reference
    return template_name("single", multi_turn=multi, reference=reference is not None), values
