"""Putting the sources together: the shipped default data (figures carried from Epoch AI, CC BY),
an Epoch data folder, a user's catalogue, results and baseline files, and assay's own runs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

from assay.io import read_packaged_json, write_text_atomic
from assay.trends import epoch, userfiles
from assay.trends.catalogue import Catalogue
from assay.trends.records import (
    BenchmarkResult,
    HumanBaseline,
    ModelEntry,
    RowProblem,
    TrendsError,
)

MODELS_FILE = "epoch_models.json"
RESULTS_FILE = "epoch_results.json"
REPORTED_EMISSIONS_FILE = "reported_emissions.json"
ATTRIBUTION = (
    "Figures carried from Epoch AI's public data (epoch.ai/data), licensed CC BY 4.0: "
    "'All ML Systems' (training-cost-trends), benchmark-stitching and open-model-trends. "
    "See ATTRIBUTION.md."
)
_SINCE = date(2018, 1, 1)  # the shipped catalogue keeps models published since then


@dataclass(frozen=True)
class TrendsData:
    catalogue: Catalogue
    results: tuple[BenchmarkResult, ...]
    baselines: tuple[HumanBaseline, ...] = ()
    skipped: tuple[RowProblem, ...] = ()


def load_epoch_dir(root: Path, *, skip_bad_rows: bool = False) -> TrendsData:
    """Every Epoch file found under `root`: the catalogue, model versions and benchmark files."""
    root = Path(root)
    if not root.is_dir():
        raise TrendsError(f"no Epoch data folder {root}")
    skipped: list[RowProblem] = []
    catalogue = Catalogue()
    for path in sorted(root.rglob(epoch.ALL_SYSTEMS_FILE)):
        loaded = epoch.read_all_systems(path, skip_bad_rows=skip_bad_rows)
        for entry in loaded.items:
            catalogue.add(entry)
        skipped += loaded.skipped
    omt_results: tuple[BenchmarkResult, ...] = ()
    for path in sorted(root.rglob(epoch.OPEN_MODEL_TRENDS_FILE)):
        entries, found = epoch.read_open_model_trends(path, skip_bad_rows=skip_bad_rows)
        for entry in entries.items:
            if entry.release_date is not None:  # e.g. its "Random chance" row is not a model
                catalogue.add(entry, overwrite=False)  # the main catalogue's figures win
        omt_results += found.items
        skipped += entries.skipped
    versions: dict[str, epoch.ModelVersion] = {}
    for path in sorted(root.rglob(epoch.MODEL_VERSIONS_FILE)):
        loaded_versions = epoch.read_model_versions(path, skip_bad_rows=skip_bad_rows)
        versions.update({v.id: v for v in loaded_versions.items})
        skipped += loaded_versions.skipped
    stitched: list[BenchmarkResult] = []
    for path in sorted(root.rglob("external_benchmark_*.csv")):
        if path.stem.removeprefix("external_benchmark_") not in epoch.EPOCH_LAYOUTS:
            continue
        loaded_results = epoch.read_benchmark_file(path, versions, skip_bad_rows=skip_bad_rows)
        stitched.extend(loaded_results.items)
        skipped += loaded_results.skipped
    if not len(catalogue) and not stitched and not omt_results:
        raise TrendsError(
            f"{root}: no Epoch files found ({epoch.ALL_SYSTEMS_FILE}, "
            f"{epoch.MODEL_VERSIONS_FILE}, external_benchmark_*.csv)"
        )
    labelled = epoch.with_access(tuple(stitched), versions, catalogue.get)
    results = catalogue.label((*labelled, *omt_results))
    return TrendsData(catalogue, results, (), tuple(skipped))


# -- the shipped default data -------------------------------------------------------------------
_MODEL_FIELDS = [f.name for f in fields(ModelEntry)]
_RESULT_FIELDS = [f.name for f in fields(BenchmarkResult)]


def _cell(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return list(value) if isinstance(value, tuple) else value


_CODED = (
    "benchmark",
    "source",
    "source_url",
    "catalogue_model",
    "developer",
    "unit",
    "access",
    "modality",
    "hardware",
)


def _table(records: Iterable[Any], names: Sequence[str]) -> dict[str, Any]:
    """Columns and rows; repetitive text columns are stored once in "codes" and referenced by index."""
    rows = [[_cell(asdict(r)[n]) for n in names] for r in records]
    codes: dict[str, list[Any]] = {}
    for i, name in enumerate(names):
        if name in _CODED:
            values = list(dict.fromkeys(row[i] for row in rows))
            index = {v: k for k, v in enumerate(values)}
            codes[name] = values
            for row in rows:
                row[i] = index[row[i]]
    return {"columns": list(names), "codes": codes, "rows": rows}


def _records(table: dict[str, Any], kind: type[Any]) -> list[Any]:
    codes = table.get("codes", {})
    out = []
    for row in table["rows"]:
        data = dict(zip(table["columns"], row, strict=True))
        for name, values in codes.items():
            data[name] = values[data[name]]
        if data.get("release_date"):
            data["release_date"] = date.fromisoformat(data["release_date"])
        if "aliases" in data:
            data["aliases"] = tuple(data["aliases"])
        out.append(kind(**data))
    return out


def shippable(data: TrendsData) -> tuple[list[ModelEntry], list[BenchmarkResult]]:
    """The subset the project ships: dated results, and the models they or recent years name."""
    results = [r for r in data.results if r.release_date is not None]
    named = {r.catalogue_model or r.model for r in results}
    models = [
        m
        for m in data.catalogue
        if m.name in named
        or (
            m.release_date
            and m.release_date >= _SINCE
            and (m.parameters or m.training_compute_flop)
            and "language" in (m.modality or "language").lower()
        )
    ]
    return models, results


def write_default_files(epoch_root: Path, out_dir: Path) -> tuple[int, int]:
    """Carry figures from an Epoch folder into the shipped JSON files; returns (models, results)."""
    models, results = shippable(load_epoch_dir(epoch_root))
    for name, records, names in (
        (MODELS_FILE, models, _MODEL_FIELDS),
        (RESULTS_FILE, results, _RESULT_FIELDS),
    ):
        body = {"attribution": ATTRIBUTION, **_table(records, names)}
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n"
        write_text_atomic(out_dir / name, text, error=TrendsError)
    return len(models), len(results)


def _data_file(name: str) -> Any:
    return read_packaged_json("assay.trends", f"data/{name}")


def load_default() -> TrendsData:
    catalogue = Catalogue(_records(_data_file(MODELS_FILE), ModelEntry))
    return TrendsData(catalogue, tuple(_records(_data_file(RESULTS_FILE), BenchmarkResult)))


def reported_emissions() -> dict[str, dict[str, Any]]:
    """Published training emissions: model name -> {"co2_t", "citation", "note"}."""
    return {r["model"]: r for r in _data_file(REPORTED_EMISSIONS_FILE)["models"]}


def load_trends(
    *,
    epoch_dir: Path | None = None,
    catalogue_files: Sequence[Path] = (),
    results_files: Sequence[Path] = (),
    baseline_files: Sequence[Path] = (),
    extra_results: Sequence[BenchmarkResult] = (),
    skip_bad_rows: bool = False,
) -> TrendsData:
    """The default data (or an Epoch folder), then the user's files on top: a user's catalogue
    figures win over ours, and results get missing dates and access from the catalogue."""
    base = load_epoch_dir(epoch_dir, skip_bad_rows=skip_bad_rows) if epoch_dir else load_default()
    skipped = list(base.skipped)
    catalogue = base.catalogue
    for path in catalogue_files:
        loaded = userfiles.read_catalogue_file(path, skip_bad_rows=skip_bad_rows)
        for entry in loaded.items:
            catalogue.add(entry)
        skipped += loaded.skipped
    results = list(base.results)
    for path in results_files:
        loaded_results = userfiles.read_results_file(path, skip_bad_rows=skip_bad_rows)
        results.extend(loaded_results.items)
        skipped += loaded_results.skipped
    baselines: list[HumanBaseline] = []
    for path in baseline_files:
        loaded_baselines = userfiles.read_baselines_file(path, skip_bad_rows=skip_bad_rows)
        baselines.extend(loaded_baselines.items)
        skipped += loaded_baselines.skipped
    labelled = catalogue.label([*results, *extra_results])
    return TrendsData(catalogue, labelled, tuple(baselines), tuple(skipped))


def baseline_for(data: TrendsData, benchmark: str) -> HumanBaseline | None:
    want = benchmark.lower()
    return next((b for b in data.baselines if b.benchmark.lower() == want), None)
