"""Commonsense and reading benchmarks in their published layouts (local files, or the hub when reachable).

ARC (Clark et al., 2018, arXiv:1803.05457), HellaSwag (Zellers et al., 2019, ACL), BoolQ (Clark et al.,
2019, NAACL). Scoring follows the common practice: each option's likelihood after the question.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

from assay.core.errors import DatasetError
from assay.core.registry import tasks
from assay.core.types import Sample
from assay.io import Row, read_hf, read_rows
from assay.tasks.library.base import LETTERS, ChoiceTask, check_answer


def _rows(path: str | None, hub: tuple[str, str | None, str]) -> Iterator[Row]:
    return read_rows(path, what="dataset") if path else read_hf(*hub)


def _field(row: dict[str, Any], key: str, where: str) -> Any:
    if key not in row or row[key] in (None, ""):
        raise DatasetError(f"{where}: the row has no {key!r}")
    return row[key]


def arc_sample(where: str, row: dict[str, Any]) -> Sample:
    """Both layouts: the original ({"question": {"stem", "choices": [...]}}) and the hub's flat one."""
    question = _field(row, "question", where)
    if isinstance(question, dict):  # original ARC JSONL
        stem = str(_field(question, "stem", where))
        labels = [str(c["label"]) for c in question.get("choices", [])]
        texts = [str(c["text"]) for c in question.get("choices", [])]
    else:
        stem = str(question)
        choices = _field(row, "choices", where)
        labels, texts = [str(x) for x in choices["label"]], [str(x) for x in choices["text"]]
    key = str(_field(row, "answerKey", where))
    answer = labels.index(key) if key in labels else None
    sid = str(row.get("id", where))
    return Sample(
        id=sid, input=stem, choices=tuple(texts), answer_index=check_answer(sid, where, texts, answer)
    )


def _arc(name: str, config: str, path: str | None) -> ChoiceTask:
    def load() -> tuple[list[Sample], list[Sample]]:
        return [arc_sample(r.where, r.data) for r in _rows(path, ("allenai/ai2_arc", config, "test"))], []

    return ChoiceTask(
        name=name,
        citation="Clark et al., 2018, Think you have Solved Question Answering? Try ARC, arXiv:1803.05457",
        loader=load,
        prompt=lambda s: f"Question: {s.input}\nAnswer:",
        full_size={"ARC-Easy": 2376, "ARC-Challenge": 1172}.get(config),
    )


@tasks.register("arc_easy")
def arc_easy(path: str | None = None) -> ChoiceTask:
    """ARC-Easy test split: a local JSONL (original or hub layout) or allenai/ai2_arc."""
    return _arc("arc_easy", "ARC-Easy", path)


@tasks.register("arc_challenge")
def arc_challenge(path: str | None = None) -> ChoiceTask:
    """ARC-Challenge test split: a local JSONL (original or hub layout) or allenai/ai2_arc."""
    return _arc("arc_challenge", "ARC-Challenge", path)


def hellaswag_clean(text: str) -> str:
    """The usual clean-up of WikiHow-derived text: drop '[title]'-style markers and double spaces."""
    text = text.strip().replace(" [title]", ". ")
    text = re.sub(r"\[.*?\]", "", text)
    return text.replace("  ", " ")


def hellaswag_sample(where: str, row: dict[str, Any]) -> Sample:
    ctx = f"{_field(row, 'ctx_a', where)} {str(row.get('ctx_b', '')).capitalize()}".strip()
    endings = [hellaswag_clean(str(e)) for e in _field(row, "endings", where)]
    label = row.get("label")
    answer = int(label) if label not in (None, "") else None
    sid = str(row.get("ind", where))
    query = hellaswag_clean(f"{row.get('activity_label', '')}: {ctx}")
    # Several contexts come from one video or how-to article (its source_id): they are one cluster.
    source = row.get("source_id")
    return Sample(
        id=sid,
        input=query,
        choices=tuple(endings),
        answer_index=check_answer(sid, where, endings, answer),
        metadata=(("source", str(source)),) if source else (),
    )


@tasks.register("hellaswag")
def hellaswag(path: str | None = None) -> ChoiceTask:
    """HellaSwag validation split (its JSONL layout, or Rowan/hellaswag); acc_norm is the usual metric."""

    def load() -> tuple[list[Sample], list[Sample]]:
        return [
            hellaswag_sample(r.where, r.data) for r in _rows(path, ("Rowan/hellaswag", None, "validation"))
        ], []

    return ChoiceTask(
        name="hellaswag",
        citation="Zellers et al., 2019, HellaSwag: Can a Machine Really Finish Your Sentence?, ACL",
        loader=load,
        prompt=lambda s: s.input,
        metric_names=("acc_norm", "acc"),
        cluster="source",
        full_size=10042,
    )


def boolq_sample(where: str, row: dict[str, Any]) -> Sample:
    answer = _field(row, "answer", where) if "answer" in row else _field(row, "label", where)
    if isinstance(answer, str):
        answer = answer.strip().lower() in ("true", "yes", "1")
    sid = str(row.get("idx", where))
    question = str(_field(row, "question", where)).strip()
    mark = "" if question.endswith("?") else "?"
    passage = str(_field(row, "passage", where))
    text = f"{passage}\nQuestion: {question}{mark}\nAnswer:"
    # Questions on the same passage form a cluster; a short digest names it without copying the text.
    digest = hashlib.sha256(passage.strip().encode("utf-8")).hexdigest()[:16]
    return Sample(
        id=sid,
        input=text,
        choices=("no", "yes"),
        answer_index=int(bool(answer)),
        metadata=(("passage", digest),),
    )


@tasks.register("boolq")
def boolq(path: str | None = None) -> ChoiceTask:
    """BoolQ validation split (JSONL with question, passage, answer) or google/boolq."""

    def load() -> tuple[list[Sample], list[Sample]]:
        return [boolq_sample(r.where, r.data) for r in _rows(path, ("google/boolq", None, "validation"))], []

    return ChoiceTask(
        name="boolq",
        citation="Clark et al., 2019, BoolQ: Exploring the Surprising Difficulty of "
        "Natural Yes/No Questions, NAACL",
        loader=load,
        prompt=lambda s: s.input,
        cluster="passage",
        full_size=3270,
    )


__all__ = ["LETTERS", "arc_sample", "boolq_sample", "hellaswag_sample"]
