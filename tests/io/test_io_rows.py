"""The one row reader: every format from real files, the location of each row, one-line errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from assay.core.errors import ConfigError, DatasetError
from assay.io import FORMATS, infer_format, read_bigbench, read_hf, read_rows


def rows_of(path: Path, **options: object) -> list[tuple[str, dict]]:
    return [(row.where, row.data) for row in read_rows(path, **options)]  # type: ignore[arg-type]


def test_json_lines_skip_blank_lines_and_keep_their_line(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"a": 1}\n\n  \n{"a": "é"}\r\n', encoding="utf-8")
    assert rows_of(path) == [(f"{path}:1", {"a": 1}), (f"{path}:4", {"a": "é"})]
    assert [row.number for row in read_rows(path)] == [0, 1]


def test_json_list_items_are_named_by_the_line_they_start_on(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text('[\n  {"a": 1},\n  {\n    "a": 2\n  },\n  {"a": 3}, {"a": 4}\n]\n')
    assert [w for w, _ in rows_of(path)] == [f"{path}:2", f"{path}:3", f"{path}:6:3", f"{path}:6:13"]
    assert [d["a"] for _, d in rows_of(path)] == [1, 2, 3, 4]


def test_a_one_line_json_list_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps([{"a": 1}, {"a": 2}]))
    assert [w for w, _ in rows_of(path)] == [f"{path}:1:2", f"{path}:1:12"]
    path.write_text(json.dumps([{"a": 1}]))
    assert [w for w, _ in rows_of(path)] == [f"{path}:1"]  # alone on its line: no column


def test_a_nested_field_keeps_the_lines_of_its_items(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    document = {"meta": {"rows": "not these"}, "data": {"rows": [{"a": 1}, {"a": 2}]}, "after": [1]}
    path.write_text(json.dumps(document, indent=2))
    lines = path.read_text().splitlines()
    starts = [i + 1 for i, text in enumerate(lines) if text.strip() == "{" and i > 3]
    assert rows_of(path, field="data.rows") == [
        (f"{path}:{starts[0]}", {"a": 1}),
        (f"{path}:{starts[1]}", {"a": 2}),
    ]
    # a document that is itself the list is read as it is
    path.write_text('[{"a": 1}]')
    assert rows_of(path, field="data.rows") == [(f"{path}:1", {"a": 1})]


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ('[{"a": 1},\n {"a": 2},]', None, r"d\.json:2: not valid JSON \(Expecting value at column 11\)"),
        ('[{"a": 1}] [', None, r"d\.json:1: not valid JSON \(Extra data at column 12\)"),
        ('{"x": [1]}', None, r"d\.json: expected a list of rows, got an object"),
        ('{"x": [1]}', "data", r"d\.json: no field 'data' in the JSON document"),
        ('{"data": 3}', "data", r"d\.json: expected a list of rows at 'data', got a number"),
        ('[{"a": 1},\n 7]', None, r"d\.json:2: expected a JSON object, got int"),
        ("", None, r"d\.json:1: not valid JSON \(Expecting value at column 1\)"),
    ],
)
def test_bad_json_documents_are_one_line_errors(tmp_path: Path, text: str, field: str, message: str) -> None:
    path = tmp_path / "d.json"
    path.write_text(text)
    with pytest.raises(DatasetError, match=message) as info:
        list(read_rows(path, field=field))
    assert "\n" not in str(info.value)


def test_bad_json_lines_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"a": 1}\n{"a": \n')
    with pytest.raises(DatasetError, match=r"d\.jsonl:2: not valid JSON"):
        list(read_rows(path))
    path.write_text('{"a": 1}\n[1, 2]\n')
    with pytest.raises(DatasetError, match=r"d\.jsonl:2: expected a JSON object, got list"):
        list(read_rows(path))


def test_csv_rows_are_named_by_the_line_where_the_record_starts(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b'\xef\xbb\xbfid,text\r\n1,"two\r\nlines"\r\n\r\n2,plain\r\n3\r\n')
    assert rows_of(path) == [
        (f"{path}:2", {"id": "1", "text": "two\r\nlines"}),
        (f"{path}:5", {"id": "2", "text": "plain"}),
        (f"{path}:6", {"id": "3", "text": None}),  # a short row: the rest is missing
    ]
    path.write_text("id,text\n1,a\n2,b,extra\n")
    with pytest.raises(DatasetError, match=r"d\.csv:3: 3 cells but the header has 2 columns"):
        list(read_rows(path))


def test_tsv_and_required_columns(tmp_path: Path) -> None:
    path = tmp_path / "d.tsv"
    path.write_text("id\ttext\n1\ta, b\n")
    assert rows_of(path, columns=["id"]) == [(f"{path}:2", {"id": "1", "text": "a, b"})]
    with pytest.raises(ConfigError, match=r"d\.tsv: no column 'label' \(columns: id, text\)"):
        read_rows(path, columns=["label"], error=ConfigError).__next__()


def test_yaml_lists_top_level_or_under_a_field(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text("# rows\nrows:\n  - a: 1\n  - a: 2\nflow: [{a: 3}, {a: 4}]\n")
    assert rows_of(path, field="rows") == [(f"{path}:3", {"a": 1}), (f"{path}:4", {"a": 2})]
    assert [w for w, _ in rows_of(path, field="flow")] == [f"{path}:5:8", f"{path}:5:16"]
    path.write_text("- a: 1\n- 5\n")
    with pytest.raises(DatasetError, match=r"d\.yaml:2: expected a mapping, got int"):
        list(read_rows(path))
    path.write_text("rows: [\n")
    with pytest.raises(DatasetError, match=r"d\.yaml:2: not valid YAML"):
        list(read_rows(path))


def test_parquet_rows_are_named_by_position(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    path = tmp_path / "d.parquet"
    pd.DataFrame({"id": ["x", "y"], "n": [1, 2]}).to_parquet(path)
    assert rows_of(path, columns=["id", "n"]) == [
        (f"{path}:row 0", {"id": "x", "n": 1}),
        (f"{path}:row 1", {"id": "y", "n": 2}),
    ]
    with pytest.raises(DatasetError, match=r"d\.parquet: no column 'label'"):
        list(read_rows(path, columns=["label"]))
    path.write_bytes(b"not parquet at all")
    with pytest.raises(
        DatasetError, match=r"cannot read data file .*d\.parquet: not a readable Parquet file"
    ):
        list(read_rows(path))


def test_gzip_files_are_read_through(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a": 1}\n{"a": 2}\n'))
    assert rows_of(path) == [(f"{path}:1", {"a": 1}), (f"{path}:2", {"a": 2})]
    broken = tmp_path / "b.jsonl.gz"
    broken.write_bytes(b"not gzip")
    with pytest.raises(DatasetError, match=r"cannot read data file .*b\.jsonl\.gz: not a valid gzip file"):
        list(read_rows(broken))


def test_bigbench_examples_become_rows_with_choices(tmp_path: Path) -> None:
    path = tmp_path / "task.json"
    task = {
        "name": "t",
        "example_input_prefix": "\nQ: ",
        "examples": [
            {"input": "2+2?", "target_scores": {"3": 0, "4": 1, "5": 0}},
            {"input": "say hi", "target": "hi"},
        ],
    }
    path.write_text(json.dumps(task, indent=1))
    read = read_bigbench(path)
    assert read.header == {"name": "t", "example_input_prefix": "\nQ: "}
    first, second = read.rows
    assert (first.where, first.data["choices"], first.data["answer"]) == (f"{path}:5", ["3", "4", "5"], 1)
    assert (second.where, second.data) == (f"{path}:13", {"input": "say hi", "target": "hi"})
    assert rows_of(path, format="bigbench") == [(r.where, r.data) for r in read.rows]
    task["examples"] = [{"input": "x", "target_scores": {"a": "high"}}]
    path.write_text(json.dumps(task))
    with pytest.raises(DatasetError, match=r"task\.json:1: needs numeric 'target_scores'"):
        read_bigbench(path)
    path.write_text("[1, 2]")
    with pytest.raises(DatasetError, match=r"task\.json: not a BIG-bench task"):
        read_bigbench(path)


def test_the_format_comes_from_the_suffix_or_is_named(tmp_path: Path) -> None:
    assert infer_format(Path("a.ndjson")) == "jsonl"
    assert infer_format(Path("a.v2.CSV")) == "csv"
    assert infer_format(Path("a.jsonl.gz")) == "jsonl"
    assert set(FORMATS) >= {"jsonl", "json", "yaml", "csv", "tsv", "parquet", "bigbench"}
    odd = tmp_path / "rows.txt"
    odd.write_text('{"a": 1}\n')
    with pytest.raises(DatasetError, match=r"rows\.txt: cannot tell the format from the suffix '\.txt'"):
        read_rows(odd)
    assert rows_of(odd, format="jsonl") == [(f"{odd}:1", {"a": 1})]
    with pytest.raises(DatasetError, match="unknown format 'xml'"):
        read_rows(odd, format="xml")
    with pytest.raises(DatasetError, match="a field applies to JSON and YAML files, not jsonl"):
        read_rows(odd, format="jsonl", field="rows")


def test_missing_files_and_folders_are_named_before_any_row(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"^cannot read dataset .*nope\.jsonl: it does not exist$"):
        read_rows(tmp_path / "nope.jsonl", what="dataset")
    with pytest.raises(DatasetError, match=r"^cannot read data file .*: it is a directory, not a file$"):
        read_rows(tmp_path)


def test_the_hub_without_the_datasets_package_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "datasets", None)  # as if it were not installed
    with pytest.raises(DatasetError, match=r"^hf:org/set/conf\[test\]: loading from the Hugging Face hub"):
        list(read_hf("org/set", "conf", "test"))
