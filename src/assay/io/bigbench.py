"""BIG-bench task JSON (Srivastava et al., 2022): an object with an `examples` list and the task's
prompt prefixes. Each example becomes a row; one with `target_scores` also gets `choices` (the
options in file order) and `answer` (the index of the highest score, the first on a tie)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.core.errors import AssayError, DatasetError
from assay.io.json_items import NotAList, locate_list
from assay.io.row import LineIndex, Row, Source, placed_rows
from assay.io.text import json_error, read_text


@dataclass(frozen=True)
class BigBenchTask:
    path: Path
    header: dict[str, Any]  # every top-level field but `examples` (task_prefix, example_input_prefix...)
    rows: tuple[Row, ...]


def _is_score(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _with_choices(row: Row, source: Source) -> Row:
    scores = row.data.get("target_scores")
    if scores is None:
        return row
    if not isinstance(scores, dict) or not all(_is_score(v) for v in scores.values()):
        raise source.fail(f"{row.where}: needs numeric 'target_scores' (each choice mapped to a number)")
    if not scores:
        return row
    values = list(scores.values())
    data = {**row.data, "choices": list(scores), "answer": max(range(len(values)), key=values.__getitem__)}
    return Row(data, row.source, row.number, row.line, row.column)


def read_bigbench(
    path: str | Path, *, what: str = "BIG-bench task", error: type[AssayError] = DatasetError
) -> BigBenchTask:
    """The task's examples as rows (`task.json:12`), and its other top-level fields."""
    source = Source(Path(path), what, error)
    text = read_text(source.path, what=what, error=error)
    lines = LineIndex(text)
    try:
        found = locate_list(text, "examples", list_ok=False)
        items = ((value, *lines.at(offset)) for value, offset in found.items())
        rows = tuple(_with_choices(row, source) for row in placed_rows(source, items, "JSON object"))
    except json.JSONDecodeError as exc:
        raise json_error(source.path, exc, error) from None
    except NotAList:
        raise error(
            f"{source.path}: not a BIG-bench task (expected an object with an 'examples' list)"
        ) from None
    return BigBenchTask(source.path, found.siblings, rows)
