"""Unified diffs applied to a directory tree, confined to it: the `apply_patch` tool's engine and the
scorer's. Standard library only, so the same source runs inside the sandbox as a plain file.

Confinement does not trust the patch: a path that is absolute, climbs with `..`, or passes through a
symbolic link is refused, and files are opened without following a link in their last component.
Hunks are matched by their content (old lines), nearest to the line the header names, so a diff
whose line numbers are a little off (as models write them) still applies; one that does not match is
refused as a whole, before any file changes.
"""

from __future__ import annotations

import os
import re

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
NULL = "/dev/null"


class PatchError(Exception):
    """A patch that cannot be applied; the message is one line for the model to read."""


def safe_path(root: str, name: str) -> str:
    """`name` inside `root`, refusing escapes: absolute paths, `..`, and links on the way."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or name.startswith("/") or ".." in parts:
        raise PatchError(f"path {name!r} is outside the working directory")
    path = root
    for part in parts:
        path = os.path.join(path, part)
        if os.path.islink(path):
            raise PatchError(f"path {name!r} passes through a symbolic link; refused")
    return path


def _strip(name: str) -> str:
    name = name.split("\t")[0].strip()
    if name != NULL and name[:2] in ("a/", "b/"):
        return name[2:]
    return name


def parse(text: str) -> list[tuple[str, str, list[list[str]]]]:
    """(old name, new name, hunks) per file; a hunk is its body lines with their ' ', '-', '+' marks."""
    files: list[tuple[str, str, list[list[str]]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            old, new = _strip(lines[i][4:]), _strip(lines[i + 1][4:])
            hunks: list[list[str]] = []
            i += 2
            while i < len(lines) and _HUNK.match(lines[i]):
                match = _HUNK.match(lines[i])
                assert match is not None
                want_old = int(match.group(2) or 1) if match.group(2) != "0" else 0
                want_new = int(match.group(4) or 1) if match.group(4) != "0" else 0
                body, i = _hunk_body(lines, i + 1, want_old, want_new)
                hunks.append([f"@{match.group(1)}", *body])
            files.append((old, new, hunks))
        else:
            i += 1
    if not files:
        raise PatchError("no file changes found: expected '--- a/FILE', '+++ b/FILE' and '@@' hunks")
    return files


def _hunk_body(lines: list[str], i: int, want_old: int, want_new: int) -> tuple[list[str], int]:
    body: list[str] = []
    seen_old = seen_new = 0
    while i < len(lines) and (seen_old < want_old or seen_new < want_new):
        line = lines[i]
        if line.startswith("\\"):
            i += 1
            continue
        mark = line[:1] if line[:1] in ("-", "+", " ") else " "  # an empty context line lost its space
        text = line[1:] if line[:1] in ("-", "+", " ") else line
        seen_old += mark in " -"
        seen_new += mark in " +"
        body.append(mark + text)
        i += 1
    while i < len(lines) and lines[i].startswith("\\"):
        i += 1
    return body, i


def _apply_hunks(old: list[str], hunks: list[list[str]], name: str) -> list[str]:
    out = list(old)
    offset = 0
    for hunk in hunks:
        start = max(int(hunk[0][1:]) - 1, 0) + offset
        before = [h[1:] for h in hunk[1:] if h[0] in " -"]
        after = [h[1:] for h in hunk[1:] if h[0] in " +"]
        at = _find(out, before, start)
        if at is None:
            raise PatchError(f"{name}: a hunk does not match the file (its context or removed lines differ)")
        out[at : at + len(before)] = after
        offset += len(after) - len(before)
    return out


def _find(lines: list[str], block: list[str], near: int) -> int | None:
    if not block:
        return min(near, len(lines))
    starts = range(len(lines) - len(block) + 1)
    for at in sorted(starts, key=lambda s: abs(s - near)):
        if lines[at : at + len(block)] == block:
            return at
    return None


def _read(path: str) -> str:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, encoding="utf-8") as handle:
        return handle.read()


def write_text(path: str, text: str) -> None:
    """Write without following a link at `path` (a link there is replaced, never written through)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    if os.path.islink(path):
        os.unlink(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def apply(root: str, text: str) -> list[str]:
    """Apply the patch under `root`; the names of the files changed. All or nothing."""
    plan: list[tuple[str, str | None]] = []
    for old, new, hunks in parse(text):
        name = new if new != NULL else old
        path = safe_path(root, name)
        creating = old == NULL or not os.path.exists(path)
        if new == NULL:
            plan.append((path, None))
            continue
        current = [] if creating else _read(path).split("\n")
        if current and current[-1] == "":
            current.pop()
        result = _apply_hunks(current, hunks, name)
        plan.append((path, "\n".join(result) + "\n" if result else ""))
    changed = []
    for path, content in plan:
        if content is None:
            if os.path.lexists(path):
                os.unlink(path)
        else:
            write_text(path, content)
        changed.append(os.path.relpath(path, root))
    return changed
