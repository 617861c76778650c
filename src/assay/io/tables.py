"""Tables: CSV and TSV (a header row, then one record per row; a record may span lines) and Parquet.

CSV cells are text, as written; a row with fewer cells than the header gets None for the rest, one
with more is an error. Blank lines are skipped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path

from assay.core.errors import AssayError, DatasetError
from assay.io.row import Row, Source
from assay.io.text import decode_utf8, os_reason, read_bytes, unreadable


def csv_records(
    path: str | Path, *, delimiter: str = ",", what: str = "data file", error: type[AssayError] = DatasetError
) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, its cells) for every record, the header included; blank lines
    are skipped. For files whose header is not a plain list of names (MMLU has none)."""
    target = Path(path)
    text = decode_utf8(read_bytes(target, what, error), target, what, error)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise error(f"{target}:{reader.line_num}: not valid CSV ({exc})") from None
        if cells:
            yield start, cells


def check_columns(source: Source, header: list[str], columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in header]
    if missing:
        raise source.fail(
            f"{source.path}: no column {', '.join(repr(m) for m in missing)} "
            f"(columns: {', '.join(header) or 'none'})"
        )


def csv_rows(source: Source, delimiter: str, columns: Iterable[str] = ()) -> Iterator[Row]:
    """Rows keyed by the header's names (a repeated name keeps its last cell, as csv.DictReader does)."""
    records = csv_records(source.path, delimiter=delimiter, what=source.what, error=source.error)
    first = next(records, None)
    header = first[1] if first else []
    check_columns(source, header, columns)
    for number, (line, cells) in enumerate(records):
        if len(cells) > len(header):
            raise source.fail(
                f"{source.path}:{line}: {len(cells)} cells but the header has {len(header)} columns"
            )
        data: dict[str, str | None] = dict(zip(header, cells, strict=False))
        for name in header[len(cells) :]:
            data[name] = None
        yield Row(data, str(source.path), number, line)


def parquet_rows(source: Source, columns: Iterable[str] = ()) -> Iterator[Row]:
    """Rows of a Parquet file, read a batch at a time; named `path:row N` (0-based)."""
    import pyarrow.parquet as pq

    def broken(exc: Exception) -> AssayError:
        if isinstance(exc, PermissionError | FileNotFoundError):
            return unreadable(source.path, source.what, os_reason(exc), source.error)
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return unreadable(source.path, source.what, f"not a readable Parquet file ({reason})", source.error)

    try:
        table = pq.ParquetFile(source.path)
    except (OSError, ValueError) as exc:
        raise broken(exc) from None
    with table:
        check_columns(source, list(table.schema_arrow.names), columns)
        number = 0
        try:
            for batch in table.iter_batches():
                for data in batch.to_pylist():
                    yield Row(data, str(source.path), number)
                    number += 1
        except (OSError, ValueError) as exc:
            raise broken(exc) from None
