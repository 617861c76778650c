"""Every file assay reads or writes for a user.

- `read_rows`: the one row reader (JSON lines, JSON, YAML, CSV, TSV, Parquet, BIG-bench task JSON;
  `read_hf` for a Hugging Face hub dataset), each `Row` named by its location, `path:line`.
- `read_text`, `read_json`, `read_yaml`: one encoding policy (UTF-8, a byte-order mark accepted, any
  other bytes a one-line error naming the file and the offset of the first bad byte).
- `check_unique_ids`: one duplicate check, naming both places.
- `atomic_open`, `atomic_path`, `write_text_atomic`, `write_bytes_atomic`, `write_jsonl`: files that
  appear whole or not at all.
- `packaged_path`, `distribution_file`: data files shipped inside a package.

Depends on `assay.core` only (pyarrow, PyYAML and `datasets` are imported when a format needs them).
"""

from __future__ import annotations

from assay.io.atomic import (
    atomic_open,
    atomic_path,
    check_writable,
    write_bytes_atomic,
    write_jsonl,
    write_text_atomic,
)
from assay.io.bigbench import BigBenchTask, read_bigbench
from assay.io.hub import read_hf
from assay.io.ids import check_unique_ids
from assay.io.packaged import distribution_file, packaged_path, read_packaged_json, read_packaged_text
from assay.io.row import Row
from assay.io.rows import FORMATS, SUFFIXES, infer_format, read_rows
from assay.io.tables import csv_records
from assay.io.text import check_file, read_json, read_text, read_yaml

__all__ = [
    "FORMATS",
    "SUFFIXES",
    "BigBenchTask",
    "Row",
    "atomic_open",
    "atomic_path",
    "check_file",
    "check_unique_ids",
    "check_writable",
    "csv_records",
    "distribution_file",
    "infer_format",
    "packaged_path",
    "read_bigbench",
    "read_hf",
    "read_json",
    "read_packaged_json",
    "read_packaged_text",
    "read_rows",
    "read_text",
    "read_yaml",
    "write_bytes_atomic",
    "write_jsonl",
    "write_text_atomic",
]
