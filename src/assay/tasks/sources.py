"""Reading dataset rows from files and (when reachable) the Hugging Face hub, with row locations.

Every reader yields ("where", row) so an error about a row can name the file and line (or index).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assay.core.errors import DatasetError
from assay.tasks.base import read_json, read_jsonl

Row = tuple[str, dict[str, Any]]
FORMATS = ("jsonl", "json", "csv", "tsv", "parquet")
_SUFFIX_FORMAT = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def infer_format(path: Path) -> str:
    fmt = _SUFFIX_FORMAT.get(path.suffix.lower())
    if fmt is None:
        raise DatasetError(
            f"{path}: cannot tell the format from the suffix; say format: one of {', '.join(FORMATS)}"
        )
    return fmt


def read_rows(path: str | Path, *, fmt: str | None = None, field: str | None = None) -> Iterator[Row]:
    """Rows of a JSONL/JSON/CSV/TSV/Parquet file. `field` picks a list inside a JSON object
    (dotted for nesting, e.g. "examples" for a BIG-bench task)."""
    source = Path(path)
    if not source.is_file():
        raise DatasetError(f"dataset file {source} does not exist")
    kind = fmt or infer_format(source)
    if kind == "jsonl":
        yield from ((f"{source}:{n}", row) for n, row in read_jsonl(source))
    elif kind == "json":
        yield from _json_rows(source, field)
    elif kind in ("csv", "tsv"):
        yield from _csv_rows(source, "\t" if kind == "tsv" else ",")
    elif kind == "parquet":
        yield from _parquet_rows(source)
    else:
        raise DatasetError(f"{source}: unknown format {kind!r}; use one of {', '.join(FORMATS)}")


def _json_rows(path: Path, field: str | None) -> Iterator[Row]:
    data: Any = read_json(path)
    trail = ""
    for part in field.split(".") if field else []:
        if not isinstance(data, dict) or part not in data:
            raise DatasetError(f"{path}: no field {trail + part!r} in the JSON document")
        data, trail = data[part], f"{trail}{part}."
    if not isinstance(data, list):
        raise DatasetError(
            f"{path}: expected a list of rows{f' at {field!r}' if field else ''}, got {type(data).__name__}"
        )
    for i, row in enumerate(data):
        where = f"{path}: {field or ''}[{i}]"
        if not isinstance(row, dict):
            raise DatasetError(f"{where}: expected an object, got {type(row).__name__}")
        yield where, row


def _csv_rows(path: Path, delimiter: str) -> Iterator[Row]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DatasetError(f"cannot read dataset {path}: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        try:
            for row in reader:
                if None in row:
                    raise DatasetError(f"{path}:{reader.line_num}: more cells than header columns")
                yield f"{path}:{reader.line_num}", dict(row)
        except csv.Error as exc:
            raise DatasetError(f"{path}:{reader.line_num}: {exc}") from None


def _parquet_rows(path: Path) -> Iterator[Row]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: not a readable Parquet file ({exc})") from None
    for i, row in enumerate(table.to_pylist()):
        yield f"{path}: row {i}", row


def read_hf(name: str, config: str | None = None, split: str = "test") -> Iterator[Row]:
    """Rows of a Hugging Face hub dataset, through the `datasets` library when it is installed.

    Offline (HF_HUB_OFFLINE / HF_DATASETS_OFFLINE, or no network) this fails with one clear line
    that suggests a local path instead."""
    where = f"hf:{name}{f'/{config}' if config else ''}[{split}]"
    try:
        import datasets
    except ImportError:
        raise DatasetError(
            f"{where}: loading from the Hugging Face hub needs `pip install datasets`; "
            "or give the task a local path"
        ) from None
    if os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("HF_DATASETS_OFFLINE") == "1":
        offline_hint = " (HF_HUB_OFFLINE is set)"
    else:
        offline_hint = ""
    try:
        data = datasets.load_dataset(name, config, split=split)
    except Exception as exc:  # the library raises many types for "not reachable / not found"
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatasetError(
            f"{where}: cannot load from the hub{offline_hint}: {message[:200]}; "
            "download it where a hub is reachable and pass a local path"
        ) from None
    for i, row in enumerate(data):
        yield f"{where} row {i}", dict(row)


def dump_jsonl(rows: list[dict[str, Any]], path: Path) -> None:
    """Write rows as JSONL (used by tests and by `assay tasks` to save a converted dataset)."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
