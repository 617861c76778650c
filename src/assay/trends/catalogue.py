"""The model catalogue: entries from several sources merged by name (a later source's figures win
over an earlier one's), looked up by name or alias, and used to date and label benchmark results."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import fields, replace
from typing import Any

from assay.trends.records import BenchmarkResult, ModelEntry, TrendsError, norm_name

_MERGED = [f.name for f in fields(ModelEntry) if f.name not in ("name", "aliases", "source")]


def merge_entries(old: ModelEntry, new: ModelEntry, *, overwrite: bool = True) -> ModelEntry:
    """`new`'s known figures replace `old`'s (or, without `overwrite`, only fill `old`'s gaps); the
    first name stays and a differently spelled one becomes an alias."""
    changes: dict[str, Any] = {}
    for name in _MERGED:
        value = getattr(new, name)
        if (
            value is not None
            and value != "unknown"
            and (overwrite or getattr(old, name) in (None, "unknown"))
        ):
            changes[name] = value
    spelled = (new.name,) if new.name != old.name else ()
    aliases = tuple(dict.fromkeys((*old.aliases, *spelled, *new.aliases)))
    source = old.source if new.source in ("", old.source) else f"{old.source}; {new.source}"
    return replace(old, **changes, aliases=aliases, source=source)


class Catalogue:
    """Models by folded name (see `norm_name`); an alias finds its model too."""

    def __init__(self, entries: Iterable[ModelEntry] = ()) -> None:
        self._by_key: dict[str, ModelEntry] = {}
        self._alias: dict[str, str] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: ModelEntry, *, overwrite: bool = True) -> None:
        """Add a model, or merge it into the entry of the same (folded) name or alias."""
        key = self._alias.get(norm_name(entry.name), norm_name(entry.name))
        old = self._by_key.get(key)
        merged = merge_entries(old, entry, overwrite=overwrite) if old else entry
        self._by_key[key] = merged
        for alias in merged.aliases:
            self._alias.setdefault(norm_name(alias), key)

    def get(self, name: str) -> ModelEntry | None:
        key = norm_name(name)
        return self._by_key.get(self._alias.get(key, key))

    def require(self, name: str) -> ModelEntry:
        entry = self.get(name)
        if entry is None:
            close = [e.name for e in self if norm_name(name) in norm_name(e.name)][:5]
            hint = f" (did you mean: {', '.join(close)})" if close else ""
            raise TrendsError(f"no model {name!r} in the catalogue{hint}")
        return entry

    def entry_for(self, result: BenchmarkResult) -> ModelEntry | None:
        """The catalogue entry of a result's model, by its name or the model it is a version of."""
        entry = self.get(result.model)
        if entry is None and result.catalogue_model:
            entry = self.get(result.catalogue_model)
        return entry

    def search(self, text: str) -> list[ModelEntry]:
        needle = norm_name(text)
        return [e for e in self if needle in norm_name(e.name) or needle in norm_name(e.developer or "")]

    def __iter__(self) -> Iterator[ModelEntry]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def label(self, results: Iterable[BenchmarkResult]) -> tuple[BenchmarkResult, ...]:
        """Fill a result's missing release date, access and developer from its catalogue entry."""
        out = []
        for result in results:
            entry = self.entry_for(result)
            if entry is None:
                out.append(result)
                continue
            out.append(
                replace(
                    result,
                    catalogue_model=entry.name,
                    release_date=result.release_date or entry.release_date,
                    access=entry.access if result.access == "unknown" else result.access,
                    developer=result.developer or entry.developer,
                )
            )
        return tuple(out)
