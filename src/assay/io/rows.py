"""The one row reader: JSON lines, JSON, YAML, CSV, TSV, Parquet and BIG-bench task files, each row
named by its location (see `assay.io.row`). The format comes from the suffix (`.gz` is looked
through) unless the caller names it; a file we cannot tell is a one-line error.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from assay.core.errors import AssayError, DatasetError
from assay.io.bigbench import read_bigbench
from assay.io.json_items import NotAList, locate_list
from assay.io.row import LineIndex, Row, Source, mapping_row, placed_rows
from assay.io.tables import csv_rows, parquet_rows
from assay.io.text import (
    check_file,
    decode_utf8,
    json_error,
    open_binary,
    os_reason,
    read_bytes,
    unreadable,
    yaml_error,
)

FORMATS = ("jsonl", "json", "yaml", "csv", "tsv", "parquet", "bigbench")
SUFFIXES = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_FIELD_FORMATS = ("json", "yaml")


def infer_format(path: str | Path, error: type[AssayError] = DatasetError) -> str:
    """The format its suffix names (`data.jsonl.gz` is JSON lines)."""
    target = Path(path)
    suffix = (Path(target.stem) if target.suffix.lower() == ".gz" else target).suffix.lower()
    if suffix not in SUFFIXES:
        raise error(
            f"{target}: cannot tell the format from the suffix {suffix or '(none)'!r}; "
            f"name it: one of {', '.join(FORMATS)}"
        )
    return SUFFIXES[suffix]


def read_rows(
    path: str | Path,
    *,
    format: str | None = None,
    field: str | None = None,
    columns: Iterable[str] = (),
    what: str = "data file",
    error: type[AssayError] = DatasetError,
) -> Iterator[Row]:
    """The rows of a file, one mapping each, in file order.

    `field`: for JSON and YAML, the dotted place of the list inside an object (`examples`,
    `data.rows`); a document that is itself a list is read as it is. `columns`: names a CSV, TSV or
    Parquet header must have. `what` names the file in messages ("dataset", "prompts file"), and
    `error` is the `AssayError` raised for any problem (a `DatasetError` unless the caller says).
    The file is checked now; rows are read as they are asked for.
    """
    source = Source(Path(path), what, error)
    check_file(source.path, what, error)
    kind = format or infer_format(source.path, error)
    if kind not in FORMATS:
        raise error(f"{source.path}: unknown format {kind!r}; use one of {', '.join(FORMATS)}")
    if field is not None and kind not in _FIELD_FORMATS:
        raise error(f"{source.path}: a field applies to JSON and YAML files, not {kind}")
    if kind == "jsonl":
        return _jsonl_rows(source)
    if kind == "json":
        return _json_rows(source, field)
    if kind == "yaml":
        return _yaml_rows(source, field)
    if kind in ("csv", "tsv"):
        return csv_rows(source, "\t" if kind == "tsv" else ",", columns)
    if kind == "parquet":
        return parquet_rows(source, columns)
    return iter(read_bigbench(source.path, what=what, error=error).rows)


def _jsonl_rows(source: Source) -> Iterator[Row]:
    """Read a line at a time, so a large file is never held whole; blank lines are skipped."""
    path, what, error = source.path, source.what, source.error
    with open_binary(path, what, error) as handle:
        offset, number, line = 0, 0, 0
        lines = iter(handle)
        while True:
            try:
                raw = next(lines)
            except StopIteration:
                return
            except (OSError, EOFError, zlib.error) as exc:
                gzipped = path.suffix.lower() == ".gz"
                reason = (
                    os_reason(exc)
                    if isinstance(exc, OSError) and not gzipped
                    else f"not a valid gzip file ({exc})"
                )
                raise unreadable(path, what, reason, error) from None
            line += 1
            text = decode_utf8(raw, path, what, error, offset=offset, line=line)
            offset += len(raw)
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise error(f"{path}:{line}: not valid JSON ({exc.msg} at column {exc.colno})") from None
            yield mapping_row(value, source, number, line)
            number += 1


def _not_a_list(source: Source, field: str | None, found: str, document: str) -> AssayError:
    if found == "missing":
        return source.fail(f"{source.path}: no field {field!r} in the {document} document")
    at = f" at {field!r}" if field else ""
    return source.fail(f"{source.path}: expected a list of rows{at}, got {found}")


def _json_rows(source: Source, field: str | None) -> Iterator[Row]:
    text = decode_utf8(
        read_bytes(source.path, source.what, source.error), source.path, source.what, source.error
    )
    lines = LineIndex(text)
    try:
        found = locate_list(text, field)
        yield from placed_rows(source, ((v, *lines.at(at)) for v, at in found.items()), "JSON object")
    except json.JSONDecodeError as exc:
        raise json_error(source.path, exc, source.error) from None
    except NotAList as exc:
        raise _not_a_list(source, field, exc.found, "JSON") from None


def _yaml_rows(source: Source, field: str | None) -> Iterator[Row]:
    import yaml

    text = decode_utf8(
        read_bytes(source.path, source.what, source.error), source.path, source.what, source.error
    )
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise yaml_error(source.path, exc, source.error) from None
    finally:
        loader.dispose()
    for part in field.split(".") if field and not isinstance(data, list) else []:
        data, node = _yaml_member(data, node, part)
        if node is None:
            raise _not_a_list(source, field, "missing", "YAML")
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise _not_a_list(source, field, _yaml_kind(data), "YAML")
    items = (
        (v, n.start_mark.line + 1, n.start_mark.column + 1) for v, n in zip(data, node.value, strict=True)
    )
    yield from placed_rows(source, items, "mapping")


def _yaml_member(data: Any, node: Any, name: str) -> tuple[Any, Any]:
    """The value of `name` in a mapping, with its node (the last one, as the loader keeps)."""
    import yaml

    if not isinstance(data, dict) or name not in data or not isinstance(node, yaml.MappingNode):
        return None, None
    found = None
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == name:
            found = value
    return (data[name], found) if found is not None else (None, None)


def _yaml_kind(data: Any) -> str:
    return {dict: "a mapping", str: "a string", type(None): "nothing"}.get(type(data), type(data).__name__)
