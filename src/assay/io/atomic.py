"""Writing a file so that a reader never sees half of it: a temporary file in the same folder, flushed
to disk, then renamed over the target. On any failure the temporary file is removed and the old file,
if any, is left as it was.

A new file gets the mode a plain `open(path, "w")` would give (0666 less the umask); a replaced file
keeps its mode.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from assay.core.errors import AssayError


def _cannot_write(path: Path, exc: OSError, error: type[AssayError]) -> AssayError:
    if path.is_dir():
        return error(f"cannot write {path}: it is a directory")
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return error(f"cannot write {path}: a file stands where its folder should be")
    return error(f"cannot write {path}: {exc.strerror or exc}")


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new, empty file next to `path`; created by the kernel with the umask applied."""
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; not every platform lets a folder be opened, so best effort."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _commit(tmp: Path, target: Path) -> None:
    """Flush the finished temporary file to disk and rename it over the target."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))  # a replaced file keeps its mode
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    _sync_folder(target.parent)


@contextlib.contextmanager
def atomic_path(path: str | Path, *, error: type[AssayError] = AssayError) -> Iterator[Path]:
    """A temporary path next to `path` for a writer that wants a file name (pandas, pyarrow); it
    becomes `path` when the block ends without an exception. An OSError becomes one `error` line."""
    target = Path(path)
    tmp: Path | None = None
    try:
        if target.is_dir():
            raise IsADirectoryError(21, "Is a directory", str(target))
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_temp(target)
        os.close(fd)
        yield tmp
        _commit(tmp, target)
        tmp = None
    except OSError as exc:
        raise _cannot_write(target, exc, error) from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_open(
    path: str | Path,
    mode: str = "w",
    *,
    encoding: str = "utf-8",
    errors: str = "strict",
    error: type[AssayError] = AssayError,
) -> Iterator[IO[Any]]:
    """A handle to write `path` through ("w" for text, "wb" for bytes); the file appears, complete,
    when the block ends without an exception. An OSError becomes one `error` line."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes with mode 'w' or 'wb', not {mode!r}")
    with atomic_path(path, error=error) as tmp:
        try:
            if mode == "w":
                with tmp.open("w", encoding=encoding, errors=errors, newline="") as text:
                    yield text
            else:
                with tmp.open("wb") as binary:
                    yield binary
        except OSError as exc:
            raise _cannot_write(Path(path), exc, error) from None


def write_text_atomic(
    path: str | Path, text: str, *, encoding: str = "utf-8", error: type[AssayError] = AssayError
) -> Path:
    with atomic_open(path, "w", encoding=encoding, error=error) as handle:
        handle.write(text)
    return Path(path)


def write_bytes_atomic(path: str | Path, data: bytes, *, error: type[AssayError] = AssayError) -> Path:
    with atomic_open(path, "wb", error=error) as handle:
        handle.write(data)
    return Path(path)


def write_jsonl(path: str | Path, rows: Iterable[Any], *, error: type[AssayError] = AssayError) -> Path:
    """One JSON value per line, UTF-8 as it is (not \\u-escaped), written atomically."""
    with atomic_open(path, "w", error=error) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return Path(path)


def check_writable(path: str | Path, *, error: type[AssayError] = AssayError) -> None:
    """Fail before the work, not after it: `path` can be written (its folder is made if missing)."""
    target = Path(path)
    if target.is_dir():
        raise error(f"cannot write {target}: it is a directory")
    parent = next((p for p in target.absolute().parents if p.exists()), None)
    if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK):
        raise error(f"cannot write {target}: {parent} is not a writable folder")
