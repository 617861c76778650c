"""The records of a transparency index: indicators grouped in domains and subdomains, and editions
(one indicator set, each developer's 0/1 score per indicator)."""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assay.core.errors import AssayError
from assay.io import read_json, read_packaged_json


class TransparencyError(AssayError):
    """A malformed index file, an unknown edition, indicator or developer."""


@dataclass(frozen=True)
class Indicator:
    id: str  # stable within its set, e.g. "upstream.data.data-size"
    domain: str
    subdomain: str
    name: str
    description: str  # our own short wording, not the index's definition
    dimension: str | None = None  # one of the 2023 report's 13 major dimensions, where it maps


@dataclass(frozen=True)
class IndicatorSet:
    name: str
    title: str
    indicators: tuple[Indicator, ...]

    def ids(self) -> list[str]:
        return [i.id for i in self.indicators]

    def get(self, indicator_id: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        raise TransparencyError(f"indicator set {self.name} has no indicator {indicator_id!r}")


@dataclass(frozen=True)
class DeveloperScores:
    developer: str
    scores: dict[str, int]  # indicator id -> 0/1
    model: str | None = None
    open_weights: bool | None = None
    published_total: int | None = None  # the total the index printed, kept to check our sums

    @property
    def total(self) -> int:
        return sum(self.scores.values())


@dataclass(frozen=True)
class Edition:
    name: str  # "2023", "2024", "2025"
    indicator_set: str
    title: str
    source: str
    license: str
    developers: tuple[DeveloperScores, ...] = field(default_factory=tuple)

    def developer(self, name: str) -> DeveloperScores:
        for dev in self.developers:
            if dev.developer.lower() == name.lower():
                return dev
        known = ", ".join(d.developer for d in self.developers)
        raise TransparencyError(f"edition {self.name} has no developer {name!r} (developers: {known})")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")


def _data_file(name: str) -> Any:
    return read_packaged_json("assay.transparency", f"data/{name}")


INDICATOR_SETS = {"fmti-v1": "indicators_fmti_v1.json", "fmti-2025": "indicators_fmti_2025.json"}
EDITIONS = {"2023": "fmti_2023.json", "2024": "fmti_2024.json", "2025": "fmti_2025.json"}


def indicator_set_from_json(data: dict[str, Any]) -> IndicatorSet:
    return IndicatorSet(
        name=data["name"], title=data["title"], indicators=tuple(Indicator(**i) for i in data["indicators"])
    )


def edition_from_json(data: dict[str, Any]) -> Edition:
    devs = tuple(DeveloperScores(**d) for d in data["developers"])
    return Edition(**{**{k: v for k, v in data.items() if k != "developers"}, "developers": devs})


def load_indicator_set(name: str) -> IndicatorSet:
    if name not in INDICATOR_SETS:
        raise TransparencyError(f"unknown indicator set {name!r} (known: {', '.join(INDICATOR_SETS)})")
    return indicator_set_from_json(_data_file(INDICATOR_SETS[name]))


def load_edition(name: str | os.PathLike[str]) -> Edition:
    """A shipped edition by name ("2023", "2024", "2025") or an edition JSON file written by `import`."""
    if str(name) in EDITIONS:
        return edition_from_json(_data_file(EDITIONS[str(name)]))
    path = Path(name)
    if path.suffix.lower() == ".json":
        data = read_json(path, what="edition file", error=TransparencyError)
        if not isinstance(data, dict):
            raise TransparencyError(f"{path}: not an edition file (expected a JSON object)")
        try:
            return edition_from_json(data)
        except KeyError as exc:
            raise TransparencyError(f"{path}: not an edition file (no field {exc})") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise TransparencyError(f"{path}: not an edition file ({exc})") from None
    raise TransparencyError(
        f"unknown edition {name!r} (shipped: {', '.join(EDITIONS)}, or an edition .json file)"
    )


def edition_to_json(edition: Edition) -> dict[str, Any]:
    return asdict(edition)
