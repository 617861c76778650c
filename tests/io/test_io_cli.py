"""Through the command line: a task file whose data file has a bad byte fails in one line naming the
file and the byte offset, with exit code 2 and no traceback."""

from __future__ import annotations

import sys
from pathlib import Path
from unittest.mock import patch

import pytest

from assay.core.errors import DatasetError

TASK = """
name: bad_bytes
dataset: {path: data.jsonl}
fields: {target: answer}
prompt: "Q: {{ question }}\\nA:"
output: {type: generate}
metrics: [exact_match]
"""


def _task_with_a_bad_byte(tmp_path: Path) -> tuple[Path, Path, int]:
    data = tmp_path / "data.jsonl"
    good = b'{"question": "1+1?", "answer": "2"}\n'
    data.write_bytes(good + b'{"question": "caf\xe9?", "answer": "x"}\n')  # Latin-1 e-acute
    task = tmp_path / "bad.yaml"
    task.write_text(TASK, encoding="utf-8")
    return task, data, len(good) + len(b'{"question": "caf')


def test_tasks_show_names_the_file_and_offset(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from assay.cli.main import app

    task, data, offset = _task_with_a_bad_byte(tmp_path)
    result = CliRunner().invoke(app, ["tasks", "show", str(task)])
    assert result.exit_code != 0
    error = result.exception if isinstance(result.exception, DatasetError) else None
    message = str(error) if error else result.output
    expected = f"cannot read dataset {data}: not UTF-8 text (byte 0xe9 at offset {offset}, line 2)"
    assert expected in message and "\n" not in message.strip()


def test_the_entry_point_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from assay.cli.main import main

    task, data, offset = _task_with_a_bad_byte(tmp_path)
    with patch.object(sys, "argv", ["assay", "tasks", "show", str(task)]), pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err
    assert stop.value.code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert f"{data}: not UTF-8 text (byte 0xe9 at offset {offset}, line 2)" in err.replace("\n", "")
