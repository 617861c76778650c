"""Reading cells of a trends file's rows (read by assay.io): numbers, percentages and dates, with the
file, line and column named when one cannot be read. A bad row stops the import unless the caller
allows skipping it."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from assay.io import Row, read_rows
from assay.trends.records import Loaded, RowProblem, TrendsError

T = TypeVar("T")
Cells = Mapping[str, Any]  # one row: column -> cell


class CellError(ValueError):
    """A cell that cannot be read; the row loop turns it into a RowProblem with the line."""

    def __init__(self, column: str, value: object, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.value = "" if value is None else str(value)
        self.reason = reason


def _text(row: Cells, column: str) -> Any:
    value = row.get(column)
    return value.strip() if isinstance(value, str) else value


def text(row: Cells, column: str) -> str | None:
    value = _text(row, column)
    return None if value in (None, "") else str(value)


def require_text(row: Cells, column: str) -> str:
    value = text(row, column)
    if value is None:
        raise CellError(column, "", "this column must not be empty")
    return value


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def number(row: Cells, column: str, *, required: bool = False) -> float | None:
    """`1,000`, `4.12E+23`, `$1.21`; empty -> None (or an error when required)."""
    value = _text(row, column)
    if value in (None, ""):
        if required:
            raise CellError(column, "", "a number is required here")
        return None
    if isinstance(value, bool):
        raise CellError(column, value, "not a number")
    if isinstance(value, int | float):
        result = float(value)
    else:
        cleaned = str(value).replace(",", "").replace("$", "").replace("_", "").strip()
        if not _NUMBER.match(cleaned):
            raise CellError(column, value, "not a number")
        result = float(cleaned)
    if not math.isfinite(result):
        raise CellError(column, value, "not a finite number")
    return result


def score(row: Cells, column: str, *, fraction: bool = False, required: bool = False) -> float | None:
    """A score in points: `77.0%` -> 77.0; a bare number is taken as points, or as a 0-1 fraction
    (times 100) when the layout says its file stores fractions."""
    value = _text(row, column)
    if isinstance(value, str) and value.endswith("%"):
        points = number({column: value[:-1]}, column, required=True)
        assert points is not None
        return points
    result = number(row, column, required=required)
    if result is None:
        return None
    return round(result * 100.0, 9) if fraction else result


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y-%m", "%Y")


def parse_date(value: object, column: str = "date") -> date | None:
    """`2023-07-11`, `2023-07` (the 1st), `2023` (1 January); a time after the date is ignored."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip().split("T")[0].split(" ")[0]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise CellError(column, value, "not a date (write YYYY-MM-DD, YYYY-MM or YYYY)")


def day(row: Cells, column: str, *, required: bool = False) -> date | None:
    result = parse_date(_text(row, column), column)
    if result is None and required:
        raise CellError(column, "", "a date is required here")
    return result


def file_rows(
    path: Path, *, format: str | None = None, columns: Iterable[str] = (), key: str | None = None
) -> Iterator[Row]:
    """A trends file's rows through assay.io (CSV rows keep the line where they start); its problems
    are TrendsErrors. `key` is where a YAML mapping keeps its list of entries."""
    return read_rows(path, format=format, field=key, columns=columns, what="file", error=TrendsError)


def collect(
    path: Path | str,
    rows: Iterable[Row],
    build: Callable[[Cells], T | None],
    *,
    skip_bad_rows: bool = False,
) -> Loaded[T]:
    """Build a record from each row; `build` returns None for a row it ignores on purpose."""
    items: list[T] = []
    skipped: list[RowProblem] = []
    for row in rows:
        try:
            item = build(row.data)
        except CellError as exc:
            problem = RowProblem(str(path), row.line or 0, exc.column, exc.value, exc.reason)
            if not skip_bad_rows:
                raise TrendsError(
                    f"{problem}; fix the row, or allow skipping bad rows (--skip-bad-rows)"
                ) from None
            skipped.append(problem)
            continue
        if item is not None:
            items.append(item)
    return Loaded(tuple(items), tuple(skipped))
