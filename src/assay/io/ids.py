"""One duplicate check for every file whose rows carry ids (task samples, judge questions, safety
items, prompts): the error names both places the id appears."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from assay.core.errors import AssayError, DatasetError


def check_unique_ids(
    entries: Iterable[tuple[Hashable, str]], what: str = "id", *, error: type[AssayError] = DatasetError
) -> None:
    """`entries` are (id, where) pairs in file order; the second use of an id is the error:
    `data.jsonl:9: duplicate id 'q3' (first at data.jsonl:4)`."""
    first: dict[Hashable, str] = {}
    for value, where in entries:
        if value in first:
            raise error(f"{where}: duplicate {what} {value!r} (first at {first[value]})")
        first[value] = where
