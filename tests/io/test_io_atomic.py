"""Atomic writers: a file appears whole or not at all, with the mode a plain create would give."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from assay.core.errors import AssayError
from assay.io import (
    atomic_open,
    atomic_path,
    check_writable,
    write_bytes_atomic,
    write_jsonl,
    write_text_atomic,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_new_file_gets_the_mode_the_umask_allows(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        path = write_text_atomic(tmp_path / "deep" / "er" / "out.txt", "hello\n")
        plain = tmp_path / "plain.txt"
        plain.write_text("x")
    finally:
        os.umask(old)
    assert path.read_text() == "hello\n"
    assert _mode(path) == _mode(plain) == 0o640
    assert _leftovers(path.parent) == []


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    path.chmod(0o600)
    write_bytes_atomic(path, b"new")
    assert path.read_bytes() == b"new" and _mode(path) == 0o600


def test_a_failure_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    write_jsonl(path, [{"a": 1}])

    def rows():
        yield {"a": 2}
        raise RuntimeError("the producer broke half way")

    with pytest.raises(RuntimeError, match="half way"):
        write_jsonl(path, rows())
    assert path.read_text() == '{"a": 1}\n'
    with pytest.raises(TypeError):  # a row JSON cannot hold: our bug, raised as it is
        write_jsonl(path, [{"a": 3}, {"a": object()}])
    assert path.read_text() == '{"a": 1}\n'
    assert _leftovers(tmp_path) == []


def test_a_writer_that_wants_a_path(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    with atomic_path(path) as tmp:
        assert tmp.parent == tmp_path and tmp != path
        tmp.write_text(json.dumps({"ok": True}))
        assert not path.exists()  # nothing shows until the block ends
    assert json.loads(path.read_text()) == {"ok": True}
    with pytest.raises(ValueError), atomic_path(path) as tmp:
        tmp.write_text("half")
        raise ValueError("stop")
    assert json.loads(path.read_text()) == {"ok": True} and _leftovers(tmp_path) == []


def test_text_is_written_as_utf8_with_unix_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    with atomic_open(path) as handle:
        handle.write("é\n")
    assert path.read_bytes() == "é\n".encode()
    with pytest.raises(ValueError, match="mode"), atomic_open(path, "a"):
        pass


def test_folders_and_blocked_paths_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(AssayError, match=r"^cannot write .*: it is a directory$"):
        write_text_atomic(tmp_path, "x")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(AssayError, match="a file stands where its folder should be"):
        write_text_atomic(blocker / "out.txt", "x")
    with pytest.raises(AssayError, match="it is a directory"):
        check_writable(tmp_path)
    check_writable(tmp_path / "new" / "out.jsonl")  # a missing folder is made when written
