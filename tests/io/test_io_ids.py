"""One duplicate check: the error names both places the id appears, in the reader's location format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.core.errors import ConfigError, DatasetError
from assay.io import check_unique_ids, read_rows


def test_the_second_use_of_an_id_names_the_first() -> None:
    check_unique_ids([("a", "f:1"), ("b", "f:2"), (1, "f:3"), ("1", "f:4")])  # 1 and "1" differ
    with pytest.raises(DatasetError, match=r"^f:5: duplicate id 'b' \(first at f:2\)$"):
        check_unique_ids([("a", "f:1"), ("b", "f:2"), ("c", "f:3"), ("a2", "f:4"), ("b", "f:5")])
    with pytest.raises(ConfigError, match=r"^x: duplicate policy name 'p' \(first at w\)$"):
        check_unique_ids([("p", "w"), ("p", "x")], "policy name", error=ConfigError)


def test_ids_from_a_file_name_both_rows(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps({"id": i}) + "\n" for i in ("q1", "q2", "q3", "q2")))
    with pytest.raises(DatasetError, match=rf"^{path}:4: duplicate question id 'q2' \(first at {path}:2\)$"):
        check_unique_ids(((row.data["id"], row.where) for row in read_rows(path)), "question id")
