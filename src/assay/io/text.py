"""Reading a user's file as text under one policy: UTF-8, a byte-order mark accepted, any other bytes a
one-line error naming the file and the offset of the first bad byte. A missing file, a folder or a file
we may not read is one line naming the path, never a traceback.

The caller names what the file is ("dataset", "policy file") and, when a `DatasetError` is not the
right kind of mistake, which `AssayError` to raise.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import IO, Any, cast

from assay.core.errors import AssayError, DatasetError

BOM = b"\xef\xbb\xbf"
ErrorType = type[AssayError]


def unreadable(path: Path | str, what: str, reason: str, error: ErrorType = DatasetError) -> AssayError:
    """The one error for a file that cannot be read: `cannot read <what> <path>: <reason>`."""
    return error(f"cannot read {what} {path}: {reason}")


def os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "it does not exist"
    if isinstance(exc, IsADirectoryError):
        return "it is a directory, not a file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, NotADirectoryError):
        return "a part of the path is a file, not a folder"
    return exc.strerror or str(exc) or type(exc).__name__


def check_file(path: Path, what: str, error: ErrorType = DatasetError) -> None:
    """Fail early, in one line, when `path` is missing or is a folder (before any work starts)."""
    if path.is_dir():
        raise unreadable(path, what, "it is a directory, not a file", error)
    if not path.exists():
        raise unreadable(path, what, "it does not exist", error)


def open_binary(path: Path, what: str, error: ErrorType = DatasetError) -> IO[bytes]:
    """The file opened for reading bytes; a `.gz` file is decompressed on the fly."""
    check_file(path, what, error)
    try:
        if path.suffix.lower() == ".gz":
            return cast(IO[bytes], gzip.open(path, "rb"))
        return path.open("rb")
    except OSError as exc:
        raise unreadable(path, what, os_reason(exc), error) from None


def read_bytes(path: Path, what: str, error: ErrorType = DatasetError) -> bytes:
    """All the bytes of the file (decompressed when it ends in `.gz`)."""
    with open_binary(path, what, error) as handle:
        try:
            return handle.read()
        except (OSError, EOFError, zlib.error) as exc:
            reason = os_reason(exc) if isinstance(exc, OSError) else f"not a complete gzip file ({exc})"
            raise unreadable(path, what, reason, error) from None


def decode_utf8(
    data: bytes,
    path: Path | str,
    what: str,
    error: ErrorType = DatasetError,
    *,
    offset: int = 0,
    line: int | None = None,
) -> str:
    """`data` as text. `offset` and `line` say where `data` starts in the file when it is one line read
    alone (JSON lines), so the error names the file's own byte offset and line."""
    if offset == 0 and data.startswith(BOM):
        data, offset = data[len(BOM) :], len(BOM)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        at_line = line if line is not None else data.count(b"\n", 0, exc.start) + 1
        found = f"byte 0x{data[exc.start]:02x} at offset {offset + exc.start}, line {at_line}"
        raise unreadable(path, what, f"not UTF-8 text ({found})", error) from None


def read_text(path: str | Path, *, what: str = "file", error: ErrorType = DatasetError) -> str:
    """The text of a user's file under the encoding policy, or one line saying why it cannot be read."""
    target = Path(path)
    return decode_utf8(read_bytes(target, what, error), target, what, error)


def json_error(path: Path | str, exc: json.JSONDecodeError, error: ErrorType = DatasetError) -> AssayError:
    """A JSON syntax error as `path:line: not valid JSON (...)`."""
    return error(f"{path}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno})")


def read_json(path: str | Path, *, what: str = "file", error: ErrorType = DatasetError) -> Any:
    """One JSON document (any shape); a syntax error names the file and line."""
    target = Path(path)
    text = read_text(target, what=what, error=error)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise json_error(target, exc, error) from None


def yaml_error(path: Path | str, exc: Exception, error: ErrorType = DatasetError) -> AssayError:
    """A YAML syntax error as `path:line: not valid YAML (...)`."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    return error(f"{where}: not valid YAML ({problem})")


def read_yaml(path: str | Path, *, what: str = "file", error: ErrorType = DatasetError) -> Any:
    """One YAML document (any shape); a syntax error names the file and line."""
    import yaml

    target = Path(path)
    text = read_text(target, what=what, error=error)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise yaml_error(target, exc, error) from None
