"""Judge prompts: written for assay, versioned, and replaceable from a YAML file (see prompt_file).

A template names its placeholders in braces ({question}, {answer_a}, ...). Only the placeholders a
template kind knows are filled; any other brace in the text (code, JSON) is left as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

TemplateKind = Literal["pairwise", "single"]

# Template name -> the placeholders its text must use.
REQUIRED_FIELDS: dict[str, frozenset[str]] = {
    "pairwise": frozenset({"question", "answer_a", "answer_b"}),
    "pairwise-reference": frozenset({"question", "answer_a", "answer_b", "reference"}),
    "pairwise-multi-turn": frozenset({"conversation_a", "conversation_b"}),
    "pairwise-multi-turn-reference": frozenset({"conversation_a", "conversation_b", "reference"}),
    "pairwise-direct": frozenset({"question", "answer_a", "answer_b"}),
    "single": frozenset({"question", "answer"}),
    "single-reference": frozenset({"question", "answer", "reference"}),
    "single-multi-turn": frozenset({"conversation"}),
    "single-multi-turn-reference": frozenset({"conversation", "reference"}),
}
TEMPLATE_NAMES = tuple(REQUIRED_FIELDS)
REQUIRED_FIELDS_ALL: frozenset[str] = frozenset().union(*REQUIRED_FIELDS.values())
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: str
    system: str
    user: str

    @property
    def kind(self) -> TemplateKind:
        return "single" if self.name.startswith("single") else "pairwise"

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(_PLACEHOLDER.findall(self.system + self.user))

    def render(self, values: dict[str, str]) -> tuple[str, str]:
        """(system, user) with every known placeholder filled; a missing value is a KeyError."""
        return _fill(self.system, values), _fill(self.user, values)


def _fill(text: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name in REQUIRED_FIELDS_ALL else match.group(0)

    return _PLACEHOLDER.sub(one, text)


_IMPARTIAL = (
    "You are a careful, impartial reviewer of answers written by AI assistants. Judge substance: "
    "whether the answer does what the user asked, is correct, relevant and useful, and goes as deep "
    "as the question needs. The order in which answers are shown, their length and the assistants' "
    "names must not sway you."
)
_PAIR_FORMAT = (
    "First explain your comparison in a few sentences. Then end with exactly one verdict on its own "
    "line: [[A]] when assistant A's answer is better, [[B]] when assistant B's answer is better, "
    "[[C]] when they are equally good."
)
_SINGLE_FORMAT = (
    "First explain your assessment in a few sentences. Then end with the rating on its own line, "
    "an integer from 1 (useless) to 10 (excellent) in double brackets, like this: Rating: [[6]]"
)
_REFERENCE_NOTE = (
    "A reference answer is given. Correctness decides first: for math or reasoning, compare the final "
    "result and the key steps with the reference; for code, check that it would behave as the "
    "reference does. An answer that is wrong loses to one that is right, however well written."
)
_MULTI_NOTE = (
    "The conversation has several turns. Judge the assistant's reply to the user's LAST turn, "
    "using the earlier turns as context."
)

_PAIR_SINGLE_TURN = (
    "[Question]\n{question}\n\n"
    "[Assistant A's answer begins]\n{answer_a}\n[Assistant A's answer ends]\n\n"
    "[Assistant B's answer begins]\n{answer_b}\n[Assistant B's answer ends]\n\n"
)
_PAIR_MULTI_TURN = (
    "[Conversation with assistant A begins]\n{conversation_a}\n[Conversation with assistant A ends]\n\n"
    "[Conversation with assistant B begins]\n{conversation_b}\n[Conversation with assistant B ends]\n\n"
)
_REFERENCE_BLOCK = "[Reference answer begins]\n{reference}\n[Reference answer ends]\n\n"

BUILTIN_TEMPLATES: dict[str, PromptTemplate] = {
    t.name: t
    for t in (
        PromptTemplate(
            "pairwise",
            "assay-pair-1",
            f"{_IMPARTIAL} {_PAIR_FORMAT}",
            _PAIR_SINGLE_TURN + "Which answer is better?",
        ),
        PromptTemplate(
            "pairwise-reference",
            "assay-pair-ref-1",
            f"{_IMPARTIAL} {_REFERENCE_NOTE} {_PAIR_FORMAT}",
            _REFERENCE_BLOCK + _PAIR_SINGLE_TURN + "Which answer is better?",
        ),
        PromptTemplate(
            "pairwise-multi-turn",
            "assay-pair-multi-1",
            f"{_IMPARTIAL} {_MULTI_NOTE} {_PAIR_FORMAT}",
            _PAIR_MULTI_TURN + "Whose reply to the last turn is better?",
        ),
        PromptTemplate(
            "pairwise-multi-turn-reference",
            "assay-pair-multi-ref-1",
            f"{_IMPARTIAL} {_MULTI_NOTE} {_REFERENCE_NOTE} {_PAIR_FORMAT}",
            "[Reference answers, one per turn]\n{reference}\n[End of reference answers]\n\n"
            + _PAIR_MULTI_TURN
            + "Whose reply to the last turn is better?",
        ),
        PromptTemplate(
            "pairwise-direct",
            "assay-pair-direct-1",
            f"{_IMPARTIAL} Reply with one verdict and nothing else: [[A]] if assistant A's "
            "answer is better, [[B]] if assistant B's answer is better.",
            _PAIR_SINGLE_TURN + "Verdict:",
        ),
        PromptTemplate(
            "single",
            "assay-single-1",
            f"{_IMPARTIAL} {_SINGLE_FORMAT}",
            "[Question]\n{question}\n\n[Answer begins]\n{answer}\n[Answer ends]\n\nRate the answer.",
        ),
        PromptTemplate(
            "single-reference",
            "assay-single-ref-1",
            f"{_IMPARTIAL} {_REFERENCE_NOTE} {_SINGLE_FORMAT}",
            _REFERENCE_BLOCK + "[Question]\n{question}\n\n[Answer begins]\n{answer}\n"
            "[Answer ends]\n\nRate the answer.",
        ),
        PromptTemplate(
            "single-multi-turn",
            "assay-single-multi-1",
            f"{_IMPARTIAL} {_MULTI_NOTE} {_SINGLE_FORMAT}",
            "[Conversation begins]\n{conversation}\n[Conversation ends]\n\n"
            "Rate the assistant's reply to the last turn.",
        ),
        PromptTemplate(
            "single-multi-turn-reference",
            "assay-single-multi-ref-1",
            f"{_IMPARTIAL} {_MULTI_NOTE} {_REFERENCE_NOTE} {_SINGLE_FORMAT}",
            "[Reference answers, one per turn]\n{reference}\n[End of reference answers]\n\n"
            "[Conversation begins]\n{conversation}\n[Conversation ends]\n\n"
            "Rate the assistant's reply to the last turn.",
        ),
    )
}


def template_name(kind: TemplateKind, *, multi_turn: bool, reference: bool) -> str:
    parts = [kind] + (["multi-turn"] if multi_turn else []) + (["reference"] if reference else [])
    return "-".join(parts)


def render_conversation(user_turns: tuple[str, ...], assistant_turns: tuple[str, ...]) -> str:
    """Alternating "### User" / "### Assistant" blocks, up to the last assistant turn given."""
    blocks = []
    for user, assistant in zip(user_turns, assistant_turns, strict=False):
        blocks.append(f"### User:\n{user}\n\n### Assistant:\n{assistant}")
    return "\n\n".join(blocks)


def render_references(references: tuple[str, ...]) -> str:
    if len(references) == 1:
        return references[0]
    return "\n\n".join(f"### Turn {i}:\n{text}" for i, text in enumerate(references, start=1))
