"""The records trends work on: catalogue entries, benchmark results, human baselines, and the
problems an import met. Frozen dataclasses; no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, Literal, TypeVar

from assay.core.errors import AssayError

Access = Literal["open", "closed", "unknown"]
ACCESS_VALUES: tuple[Access, ...] = ("open", "closed", "unknown")


class TrendsError(AssayError):
    """A malformed trends file (naming its file, line and column), or an unknown benchmark or model."""


@dataclass(frozen=True)
class ModelEntry:
    """One model of the catalogue. Numbers are None when the source does not give them."""

    name: str
    developer: str | None = None
    release_date: date | None = None
    parameters: float | None = None
    training_tokens: float | None = None
    training_compute_flop: float | None = None
    training_cost_usd: float | None = None
    access: Access = "unknown"
    modality: str | None = None
    training_hours: float | None = None
    training_chip_hours: float | None = None
    hardware: str | None = None
    hardware_quantity: float | None = None
    power_draw_w: float | None = None  # the whole training cluster, as the source reports it
    aliases: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class BenchmarkResult:
    """A model's score on a benchmark. `score` is in the benchmark's unit (points of 100 for "%")."""

    benchmark: str
    model: str
    score: float
    release_date: date | None = None
    access: Access = "unknown"
    developer: str | None = None
    unit: str = "%"
    source: str = ""  # the citation: a paper, leaderboard or "assay run <id>"
    source_url: str | None = None
    catalogue_model: str | None = None  # the catalogue entry this model is a version of, if named


@dataclass(frozen=True)
class HumanBaseline:
    benchmark: str
    score: float
    label: str  # e.g. "human expert", "crowdworker"
    citation: str


@dataclass(frozen=True)
class RowProblem:
    """One row an import could not read, and why."""

    path: str
    line: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: column {self.column!r}: {self.reason} (got {self.value!r})"


T = TypeVar("T")


@dataclass(frozen=True)
class Loaded(Generic[T]):
    """What an import read, and the rows it skipped (only when the caller allowed skipping)."""

    items: tuple[T, ...]
    skipped: tuple[RowProblem, ...] = field(default_factory=tuple)


def norm_name(name: str) -> str:
    """A model name folded for matching: case, spaces, dashes, underscores and dots do not matter."""
    return re.sub(r"[\s_\-./:()]+", "", name.strip().lower())
