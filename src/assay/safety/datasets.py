"""Labelled safety data: texts to classify (a user prompt, or a prompt with a model's response) with
an optional 0/1 label, from JSONL or CSV, checked row by row with errors that name the row."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.core.errors import AssayError, DatasetError


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


def read_text_file(path: Path, what: str, error: type[AssayError] = DatasetError) -> str:
    """The UTF-8 text of a user's file, or one clear line (as `error`) saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise error(f"{what} {path} is a directory, not a file") from None
    except UnicodeDecodeError:
        raise error(f"{what} {path} is not UTF-8 text") from None
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror}") from None


def _read_rows(path: Path) -> list[tuple[str, Any]]:
    text = read_text_file(path, "data file")
    if path.suffix.lower() in (".yaml", ".yml"):
        raise DatasetError(f"{path}: data files are JSONL, a .json list or .csv, not YAML")
    if path.suffix.lower() == ".csv":
        return [(f"{path}: row {i}", dict(r)) for i, r in enumerate(csv.DictReader(text.splitlines()), 2)]
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(data, list):
            raise DatasetError(f"{path}: a .json data file must hold a list of objects")
        return [(f"{path}: item {i}", r) for i, r in enumerate(data)]
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append((f"{path}: line {number}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}: line {number} is not valid JSON ({exc.msg})") from None
    return rows


def check_items(items: list[SafetyItem], where: str, *, need_labels: bool = False) -> list[SafetyItem]:
    if not items:
        raise DatasetError(f"{where}: no rows to classify")
    ids = [i.id for i in items]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise DatasetError(f"{where}: duplicate id(s) {', '.join(dupes[:5])}")
    if need_labels:
        missing = [i.id for i in items if i.label is None]
        if missing:
            raise DatasetError(f"{where}: rows without a 0/1 label (ids {', '.join(missing[:5])})")
    return items


def load_items(path: str | Path, *, need_labels: bool = False) -> list[SafetyItem]:
    """Rows from JSONL (default), JSON (a list) or CSV: text, optional response, label, id, category."""
    target = Path(path)
    rows = _read_rows(target)
    items = [item_from_row(row, where, i) for i, (where, row) in enumerate(rows)]
    return check_items(items, str(target), need_labels=need_labels)


def items_from_texts(texts: list[str]) -> list[SafetyItem]:
    """Unlabelled user prompts (e.g. from the command line)."""
    return check_items([item_from_row({"text": t}, f"text {i + 1}", i) for i, t in enumerate(texts)], "texts")


def hhh_harmless_items(task_json: str | Path) -> list[SafetyItem]:
    """BIG-bench HHH "harmless" pairs as response-classification rows: the preferred (harmless) reply
    is labelled 0, the dispreferred one 1. A proxy: the dispreferred reply is the less harmless of
    the two, not always harmful in itself."""
    path = Path(task_json)
    text = read_text_file(path, "BIG-bench task")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    examples = data.get("examples") if isinstance(data, dict) else None
    if not isinstance(examples, list):
        raise DatasetError(f"{path}: not a BIG-bench task (expected an object with an 'examples' list)")
    items = []
    for i, example in enumerate(examples):
        scores = example.get("target_scores") if isinstance(example, dict) else None
        if (
            not isinstance(scores, dict)
            or not scores
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in scores.values())
            or not isinstance(example.get("input"), str)
        ):
            raise DatasetError(f"{path}: examples[{i}] needs 'input' and numeric 'target_scores'")
        best = max(scores.values())
        for j, (reply, value) in enumerate(scores.items()):
            items.append(
                SafetyItem(id=f"hhh-{i}-{j}", prompt=example["input"], response=reply,
                           label=0 if value == best else 1, group="hhh_harmless")
            )  # fmt: skip
    return check_items(items, str(path), need_labels=True)
