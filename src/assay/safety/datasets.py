"""Labelled safety data: texts to classify (a user prompt, or a prompt with a model's response) with
an optional 0/1 label, from any file assay.io reads, checked row by row with errors that name the row."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.core.errors import DatasetError
from assay.io import SUFFIXES, check_unique_ids, read_bigbench, read_rows


@dataclass(frozen=True)
class SafetyItem:
    """One text to judge. `label` is 1 when the text violates the policy, 0 when it does not."""

    id: str
    prompt: str
    response: str | None = None
    label: int | None = None
    group: str | None = None

    @property
    def kind(self) -> str:
        return "prompt" if self.response is None else "response"


def parse_label(value: Any, where: str) -> int | None:
    """0/1 (also "0"/"1", true/false); None when absent; anything else is an error."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and value in (0, 1):
        return value
    if isinstance(value, float) and value in (0.0, 1.0):
        return int(value)
    if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false"):
        return 1 if value.strip().lower() in ("1", "true") else 0
    raise DatasetError(f"{where}: label must be 0 or 1, got {value!r}")


def item_from_row(row: Any, where: str, index: int) -> SafetyItem:
    if not isinstance(row, dict):
        raise DatasetError(f"{where}: expected an object with a 'text' field")
    text = row.get("text", row.get("prompt"))
    if not isinstance(text, str) or not text.strip():
        raise DatasetError(f"{where}: 'text' is empty or missing (the text to classify)")
    response = row.get("response")
    if response is not None and not isinstance(response, str):
        raise DatasetError(f"{where}: 'response' must be a string")
    if isinstance(response, str) and not response.strip():
        response = None  # an empty reply: judge the prompt alone
    group = row.get("category", row.get("group"))
    return SafetyItem(
        id=str(row.get("id") or index),
        prompt=text,
        response=response,
        label=parse_label(row.get("label"), where),
        group=str(group) if group not in (None, "") else None,
    )


def check_items(
    items: list[SafetyItem], where: str, *, need_labels: bool = False, places: list[str] | None = None
) -> list[SafetyItem]:
    """Refuse no rows, a repeated id (naming both rows; `places` are the rows' locations) and, when
    asked, rows without a label."""
    if not items:
        raise DatasetError(f"{where}: no rows to classify")
    places = places if places is not None else [f"{where}[{n}]" for n in range(len(items))]
    check_unique_ids(zip((i.id for i in items), places, strict=True))
    if need_labels:
        missing = [i.id for i in items if i.label is None]
        if missing:
            raise DatasetError(f"{where}: rows without a 0/1 label (ids {', '.join(missing[:5])})")
    return items


def load_items(path: str | Path, *, need_labels: bool = False) -> list[SafetyItem]:
    """Rows from JSONL (the default for an unknown suffix), a JSON or YAML list, CSV, TSV or Parquet:
    text, optional response, label, id, category."""
    target = Path(path)
    known = target.suffix.lower() in SUFFIXES or target.suffix.lower() == ".gz"
    rows = list(read_rows(target, format=None if known else "jsonl", what="data file"))
    items = [item_from_row(row.data, row.where, row.number) for row in rows]
    return check_items(items, str(target), need_labels=need_labels, places=[row.where for row in rows])


def items_from_texts(texts: list[str]) -> list[SafetyItem]:
    """Unlabelled user prompts (e.g. from the command line)."""
    return check_items([item_from_row({"text": t}, f"text {i + 1}", i) for i, t in enumerate(texts)], "texts")


def hhh_harmless_items(task_json: str | Path) -> list[SafetyItem]:
    """BIG-bench HHH "harmless" pairs as response-classification rows: the preferred (harmless) reply
    is labelled 0, the dispreferred one 1. A proxy: the dispreferred reply is the less harmless of
    the two, not always harmful in itself."""
    path = Path(task_json)
    items = []
    for i, row in enumerate(read_bigbench(path).rows):
        scores = row.data.get("target_scores")
        if not isinstance(scores, dict) or not scores or not isinstance(row.data.get("input"), str):
            raise DatasetError(f"{row.where}: needs 'input' and numeric 'target_scores'")
        best = max(scores.values())
        for j, (reply, value) in enumerate(scores.items()):
            items.append(
                SafetyItem(id=f"hhh-{i}-{j}", prompt=row.data["input"], response=reply,
                           label=0 if value == best else 1, group="hhh_harmless")
            )  # fmt: skip
    return check_items(items, str(path), need_labels=True)
