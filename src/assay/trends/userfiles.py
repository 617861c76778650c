"""A user's own files: catalogue entries, benchmark results (a citation per row) and human baselines
(with their citation), as CSV or YAML. Column names are the record fields; see docs/trends.md."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from assay.trends import parse
from assay.trends.epoch import access_from_label
from assay.trends.records import (
    ACCESS_VALUES,
    Access,
    BenchmarkResult,
    HumanBaseline,
    Loaded,
    ModelEntry,
    TrendsError,
)

T = TypeVar("T")
CATALOGUE_NUMBERS = (
    "parameters",
    "training_tokens",
    "training_compute_flop",
    "training_cost_usd",
    "training_hours",
    "training_chip_hours",
    "hardware_quantity",
    "power_draw_w",
)


def _access(row: parse.Cells, column: str = "access") -> Access:
    raw = parse.text(row, column)
    if raw is None:
        return "unknown"
    if raw.lower() in ACCESS_VALUES:
        return raw.lower()  # type: ignore[return-value]
    access = access_from_label(raw)
    if access == "unknown":
        raise parse.CellError(column, raw, "access must be open, closed or unknown")
    return access


def _not_negative(row: parse.Cells, column: str) -> float | None:
    value = parse.number(row, column)
    if value is not None and value < 0:
        raise parse.CellError(column, row.get(column), "must not be negative")
    return value


def catalogue_row(row: parse.Cells) -> ModelEntry:
    numbers = {name: _not_negative(row, name) for name in CATALOGUE_NUMBERS}
    aliases = parse.text(row, "aliases")
    return ModelEntry(
        name=parse.require_text(row, "name"),
        developer=parse.text(row, "developer"),
        release_date=parse.day(row, "release_date"),
        access=_access(row),
        modality=parse.text(row, "modality"),
        hardware=parse.text(row, "hardware"),
        aliases=tuple(a.strip() for a in aliases.split(";") if a.strip()) if aliases else (),
        source=parse.text(row, "source") or "user file",
        **numbers,
    )


def result_row(row: parse.Cells) -> BenchmarkResult:
    unit = parse.text(row, "unit") or "%"
    value = parse.score(row, "score", required=True)
    assert value is not None
    if unit == "%" and not 0 <= value <= 100:
        raise parse.CellError("score", row.get("score"), "a % score must be between 0 and 100")
    return BenchmarkResult(
        benchmark=parse.require_text(row, "benchmark"),
        model=parse.require_text(row, "model"),
        score=value,
        release_date=parse.day(row, "release_date"),
        access=_access(row),
        developer=parse.text(row, "developer"),
        unit=unit,
        source=parse.require_text(row, "citation"),
        source_url=parse.text(row, "source_url"),
    )


def baseline_row(row: parse.Cells) -> HumanBaseline:
    value = parse.score(row, "score", required=True)
    assert value is not None
    return HumanBaseline(
        benchmark=parse.require_text(row, "benchmark"),
        score=value,
        label=parse.text(row, "label") or "human baseline",
        citation=parse.require_text(row, "citation"),
    )


def _read(
    path: Path, key: str, required: tuple[str, ...], build: Callable[[parse.Cells], T], skip_bad_rows: bool
) -> Loaded[T]:
    """A CSV file, or YAML: a list of entries or a mapping with a `key` list."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = parse.file_rows(path, format="csv", columns=required)
    elif suffix in (".yaml", ".yml"):
        rows = parse.file_rows(path, format="yaml", key=key)
    else:
        raise TrendsError(f"{path.name}: give a .csv, .yaml or .yml file")
    return parse.collect(path, rows, build, skip_bad_rows=skip_bad_rows)


def read_catalogue_file(path: Path, *, skip_bad_rows: bool = False) -> Loaded[ModelEntry]:
    """Columns: name, developer, release_date, parameters, training_tokens, training_compute_flop,
    training_cost_usd, access, modality, hardware, training_chip_hours, power_draw_w, aliases (a;b)."""
    return _read(path, "models", ("name",), catalogue_row, skip_bad_rows)


def read_results_file(path: Path, *, skip_bad_rows: bool = False) -> Loaded[BenchmarkResult]:
    """Columns: benchmark, model, score, citation (all required), release_date, access, developer,
    unit (default %), source_url."""
    return _read(path, "results", ("benchmark", "model", "score", "citation"), result_row, skip_bad_rows)


def read_baselines_file(path: Path, *, skip_bad_rows: bool = False) -> Loaded[HumanBaseline]:
    """Columns: benchmark, score, citation (all required), label."""
    return _read(path, "baselines", ("benchmark", "score", "citation"), baseline_row, skip_bad_rows)
