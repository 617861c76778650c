"""Where each item of a JSON list starts, without a second parser: the document is decoded item by
item with `json.JSONDecoder.raw_decode`, so a row read from a JSON list can be named `path:line` like a
JSON-lines row. The list may sit under a dotted field of nested objects (`data.rows`).

Malformed JSON raises `json.JSONDecodeError` with the same messages and positions `json.loads` gives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_KINDS = {"{": "an object", "[": "a list", '"': "a string", "t": "true/false", "f": "true/false", "n": "null"}


class NotAList(Exception):
    """The document (or its `field`) holds no list: `found` is what is there instead ("object",
    "a string", ...), or "missing" when there is no such field."""

    def __init__(self, found: str) -> None:
        super().__init__(found)
        self.found = found


@dataclass
class JsonList:
    """The items of the list with their start positions, and the sibling fields of the last object
    walked through (for BIG-bench: the task's prefixes next to its `examples`)."""

    text: str
    start: int
    siblings: dict[str, Any] = field(default_factory=dict)
    top_level: bool = True

    def items(self) -> Iterator[tuple[Any, int]]:
        """(value, offset of its first character) per item; then checks nothing follows the document."""
        text, pos = self.text, _skip(self.text, self.start + 1)
        if _char(text, pos) == "]":
            pos += 1
        else:
            while True:
                value, end = _DECODER.raw_decode(text, pos)
                yield value, pos
                pos = _skip(text, end)
                mark = _char(text, pos)
                if mark == "]":
                    pos += 1
                    break
                if mark != ",":
                    raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
                pos = _skip(text, pos + 1)
        if self.top_level and _skip(text, pos) != len(text):
            raise json.JSONDecodeError("Extra data", text, _skip(text, pos))


def _skip(text: str, pos: int) -> int:
    match = _SPACE.match(text, pos)
    return match.end() if match else pos


def _char(text: str, pos: int) -> str:
    return text[pos] if pos < len(text) else ""


def _kind(text: str, pos: int) -> str:
    return _KINDS.get(_char(text, pos), "a number")


def _members(text: str, pos: int, wanted: str) -> tuple[int | None, dict[str, Any], int]:
    """Walk the object at `pos`: (offset of `wanted`'s value (the last one, as json.loads keeps),
    the other members, the offset just past the object)."""
    found: int | None = None
    others: dict[str, Any] = {}
    pos = _skip(text, pos + 1)
    if _char(text, pos) == "}":
        return None, others, pos + 1
    while True:
        if _char(text, pos) != '"':
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, pos)
        key, pos = _DECODER.raw_decode(text, pos)
        pos = _skip(text, pos)
        if _char(text, pos) != ":":
            raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
        start = _skip(text, pos + 1)
        value, pos = _DECODER.raw_decode(text, start)
        if key == wanted:
            found = start
            others.pop(key, None)
        else:
            others[key] = value
        pos = _skip(text, pos)
        mark = _char(text, pos)
        if mark == "}":
            return found, others, pos + 1
        if mark != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
        pos = _skip(text, pos + 1)


def locate_list(text: str, field: str | None = None, *, list_ok: bool = True) -> JsonList:
    """The list that is the document, or that sits at the dotted `field` of nested objects.

    With `list_ok` a document that is itself a list is taken as it is even when `field` is given (a
    file may hold the rows alone, or an object with the rows and more)."""
    pos = _skip(text, 0)
    if _char(text, pos) == "[" and (field is None or list_ok):
        return JsonList(text, pos)
    siblings: dict[str, Any] = {}
    for depth, part in enumerate(field.split(".") if field else []):
        if _char(text, pos) != "{":
            _DECODER.raw_decode(text, pos)  # a syntax error is reported as one
            raise NotAList("missing")
        found, siblings, end = _members(text, pos, part)
        if depth == 0 and _skip(text, end) != len(text):
            raise json.JSONDecodeError("Extra data", text, _skip(text, end))
        if found is None:
            raise NotAList("missing")
        pos = found
    if _char(text, pos) != "[":
        _DECODER.raw_decode(text, pos)
        raise NotAList(_kind(text, pos))
    return JsonList(text, pos, siblings, top_level=not field)
