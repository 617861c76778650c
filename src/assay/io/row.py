"""A row read from a file, and where it came from.

One location format everywhere: `path:line` (1-based) for formats with lines (JSON lines, CSV/TSV: the
line where the record starts, JSON and YAML lists: the line where the item starts), with `:column`
added only when several items start on the same line (a one-line JSON list). Formats without lines
name the row by its 0-based position, as pandas and the Hugging Face viewer do: `path:row 3`,
`hf:name[split]:row 3`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.core.errors import AssayError, DatasetError


@dataclass(frozen=True, slots=True)
class Row:
    """One record of a data file: its fields, and where it is (for messages and duplicate checks)."""

    data: dict[str, Any]
    source: str  # the file as the user named it, or `hf:name/config[split]`
    number: int  # 0-based position among the file's rows
    line: int | None = None
    column: int | None = None

    @property
    def where(self) -> str:
        if self.line is None:
            return f"{self.source}:row {self.number}"
        return f"{self.source}:{self.line}" + (f":{self.column}" if self.column is not None else "")


@dataclass(frozen=True)
class Source:
    """A file being read: its path, what the user knows it as, and the error kind to raise."""

    path: Path
    what: str = "data file"
    error: type[AssayError] = DatasetError

    def fail(self, message: str) -> AssayError:
        return self.error(message)


class LineIndex:
    """Offsets in a text -> (line, column), both 1-based; cheap when asked in increasing order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._offset = 0
        self._line = 1

    def at(self, offset: int) -> tuple[int, int]:
        if offset < self._offset:
            self._offset, self._line = 0, 1
        self._line += self.text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line, offset - self.text.rfind("\n", 0, offset)


def mapping_row(
    value: Any,
    source: Source,
    number: int,
    line: int | None,
    column: int | None = None,
    kind: str = "JSON object",
) -> Row:
    """`value` as a Row; anything but a mapping is an error naming the row."""
    row = Row({}, str(source.path), number, line, column)
    if not isinstance(value, dict):
        raise source.fail(f"{row.where}: expected a {kind}, got {type(value).__name__}")
    return Row(value, row.source, number, line, column)


def placed_rows(source: Source, items: Iterator[tuple[Any, int, int]], kind: str) -> Iterator[Row]:
    """Rows from (value, line, column) items; the column is kept only for items sharing a line."""
    pending: tuple[Any, int, int, bool] | None = None
    number = 0
    previous_line = None
    for value, line, column in items:
        if pending is not None:
            p_value, p_line, p_column, shared = pending
            keep = shared or p_line == line
            yield mapping_row(p_value, source, number, p_line, p_column if keep else None, kind)
            number += 1
        pending = (value, line, column, previous_line == line)
        previous_line = line
    if pending is not None:
        p_value, p_line, p_column, shared = pending
        yield mapping_row(p_value, source, number, p_line, p_column if shared else None, kind)
