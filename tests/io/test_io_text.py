"""One encoding policy for every file a user gives us: UTF-8, a BOM accepted, anything else one line
naming the file and the offset of the first bad byte."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assay.core.errors import ConfigError, DatasetError
from assay.io import read_json, read_rows, read_text, read_yaml


def test_utf8_with_or_without_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes("\ufeffcafé\n".encode())
    assert read_text(path) == "café\n"
    path.write_bytes("café\n".encode())
    assert read_text(path) == "café\n"


@pytest.mark.parametrize(
    ("name", "content", "offset", "line"),
    [
        ("t.txt", b"line one\nline \xe9two\n", 14, 2),  # Latin-1, not UTF-8
        ("t.txt", b"\xef\xbb\xbfok\n\xff", 6, 2),  # offsets count the byte-order mark
        ("t.txt", b"\xff\xfeU\x00T\x00F\x00", 0, 1),  # UTF-16 with its own mark
        ("t.csv", b"a,b\n1,2\n3,\x80\n", 10, 3),
        ("t.json", b'[{"a": "ok"},\n {"a": "\xc3"}]', 22, 2),  # a cut multi-byte character
        ("t.jsonl", b'{"a": 1}\n{"a": 2}\n{"a": "\xfe"}\n', 25, 3),  # read a line at a time
    ],
)
def test_bad_bytes_name_the_file_and_the_offset(
    tmp_path: Path, name: str, content: bytes, offset: int, line: int
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert content[offset] >= 0x80  # the test's own offsets point at the bad byte
    reader = (lambda: read_text(path)) if name.endswith(".txt") else (lambda: list(read_rows(path)))
    with pytest.raises(DatasetError) as info:
        reader()
    message = str(info.value)
    assert message.startswith("cannot read ")
    assert f"{path}: not UTF-8 text (byte 0x{content[offset]:02x} at offset {offset}, line {line})" in message
    assert "\n" not in message


def test_missing_folder_and_unreadable_files_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^cannot read policy file .*none\.yaml: it does not exist$"):
        read_text(tmp_path / "none.yaml", what="policy file", error=ConfigError)
    with pytest.raises(DatasetError, match=r"^cannot read file .*: it is a directory, not a file$"):
        read_text(tmp_path)
    if os.geteuid() == 0:
        return  # root reads any file: the permission case cannot be made here
    locked = tmp_path / "locked.txt"
    locked.write_text("secret")
    locked.chmod(0)
    with pytest.raises(DatasetError, match=r"^cannot read file .*locked\.txt: permission denied$"):
        read_text(locked)


def test_json_and_yaml_documents_name_the_line_of_a_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text('{\n  "a": 1,\n  "b": \n}\n')
    with pytest.raises(DatasetError, match=r"d\.json:4: not valid JSON \(Expecting value at column 1\)"):
        read_json(path)
    path.write_text('{"a": [1, 2]}')
    assert read_json(path) == {"a": [1, 2]}
    yaml_path = tmp_path / "d.yaml"
    yaml_path.write_text("a: 1\nb: [\n")
    with pytest.raises(ConfigError, match=r"d\.yaml:3: not valid YAML"):
        read_yaml(yaml_path, error=ConfigError)
    yaml_path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert read_yaml(yaml_path) == {"a": 1}
