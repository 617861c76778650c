"""An agent's working directory as data: read without following links, written back confined, and the
state after a turn kept as a change against the task's starting files (what a transcript stores and
the scorer rebuilds).

Only regular UTF-8 text files count; links, devices and files over the size caps are left out (a
transcript that kept them could not rebuild them safely), and `__pycache__` is never state.
"""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.tasks.agent.patching import safe_path, write_text

FILE_CAP = 256 * 1024  # bytes of one file kept in the state
TREE_CAP = 4 * 2**20  # bytes of all files kept in the state
SKIPPED_DIRS = {"__pycache__", ".git"}


@dataclass(frozen=True)
class Change:
    """Files written (path -> text) and files removed, against the starting files."""

    written: dict[str, str] = field(default_factory=dict)
    removed: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"written": dict(sorted(self.written.items())), "removed": sorted(self.removed)}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Change:
        return Change(written=dict(data.get("written", {})), removed=tuple(data.get("removed", ())))


def read_tree(root: Path) -> dict[str, str]:
    """Every regular text file under `root` (relative slash paths), within the caps; links are never
    followed, neither to directories nor to files."""
    out: dict[str, str] = {}
    total = 0
    for top, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(
            d for d in dirs if d not in SKIPPED_DIRS and not os.path.islink(os.path.join(top, d))
        )
        for name in sorted(names):
            path = os.path.join(top, name)
            text = _read_regular(path)
            if text is None or total + len(text) > TREE_CAP:
                continue
            total += len(text)
            out[os.path.relpath(path, root).replace(os.sep, "/")] = text
    return out


def _read_regular(path: str) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None  # a link, or gone
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > FILE_CAP:
            return None
        try:
            return handle.read(FILE_CAP + 1).decode("utf-8")
        except UnicodeDecodeError:
            return None


def write_tree(root: Path, files: Mapping[str, str]) -> None:
    """Write `files` under `root`, refusing any path that would leave it."""
    for name, text in files.items():
        write_text(safe_path(str(root), name), text)


def change_between(start: Mapping[str, str], now: Mapping[str, str]) -> Change:
    written = {k: v for k, v in now.items() if start.get(k) != v}
    return Change(written=written, removed=tuple(sorted(k for k in start if k not in now)))


def apply_change(start: Mapping[str, str], change: Change) -> dict[str, str]:
    files = {k: v for k, v in start.items() if k not in change.removed}
    files.update(change.written)
    return files


def unified_diff(start: Mapping[str, str], now: Mapping[str, str]) -> str:
    """The change as a unified diff, for people (the transcript view, `assay show`)."""
    parts = []
    for name in sorted(set(start) | set(now)):
        if start.get(name) == now.get(name):
            continue
        old = start.get(name, "").splitlines(keepends=True)
        new = now.get(name, "").splitlines(keepends=True)
        a = f"a/{name}" if name in start else "/dev/null"
        b = f"b/{name}" if name in now else "/dev/null"
        parts.append("".join(difflib.unified_diff(old, new, a, b)))
    return "".join(p if p.endswith("\n") else p + "\n" for p in parts)
