"""Importers for Epoch AI's public CSV layouts: "All ML Systems - full view.csv" (the catalogue),
benchmark-stitching's model_versions.csv and external_benchmark_*.csv, and open-model-trends'
benchmarks_with_model_accessibility.csv. Epoch AI data is CC BY; see data/ATTRIBUTION.md."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from assay.trends import parse
from assay.trends.records import Access, BenchmarkResult, Loaded, ModelEntry, TrendsError

ALL_SYSTEMS_FILE = "All ML Systems - full view.csv"
MODEL_VERSIONS_FILE = "model_versions.csv"
OPEN_MODEL_TRENDS_FILE = "benchmarks_with_model_accessibility.csv"
EPOCH_SOURCE = "Epoch AI"


@dataclass(frozen=True)
class BenchmarkLayout:
    benchmark: str
    score_column: str
    unit: str = "%"
    fraction: bool = False  # the file stores 0-1 fractions rather than points or "77.0%"


# external_benchmark_<key>.csv -> which column holds the headline score.
EPOCH_LAYOUTS: dict[str, BenchmarkLayout] = {
    "mmlu": BenchmarkLayout("MMLU", "EM"),
    "gsm8k": BenchmarkLayout("GSM8K", "EM"),
    "hellaswag": BenchmarkLayout("HellaSwag", "Overall accuracy"),
    "winogrande": BenchmarkLayout("WinoGrande", "Accuracy"),
    "bbh": BenchmarkLayout("BBH", "Average"),
    "arc_ai2": BenchmarkLayout("ARC-Challenge", "Challenge score"),
    "boolq": BenchmarkLayout("BoolQ", "Score"),
    "lambada": BenchmarkLayout("LAMBADA", "Score"),
    "triviaqa": BenchmarkLayout("TriviaQA", "EM"),
    "piqa": BenchmarkLayout("PIQA", "Score"),
    "openbookqa": BenchmarkLayout("OpenBookQA", "Accuracy"),
    "csqa2": BenchmarkLayout("CSQA2", "Score"),
    "anli": BenchmarkLayout("ANLI", "Score"),
    "scienceqa": BenchmarkLayout("ScienceQA", "Score"),
    "superglue": BenchmarkLayout("SuperGLUE", "Score"),
    "arc_agi": BenchmarkLayout("ARC-AGI", "Score"),
    "simple_bench": BenchmarkLayout("SimpleBench", "Score (AVG@5)"),
    "weirdml": BenchmarkLayout("WeirdML", "Accuracy"),
    "terminal_bench": BenchmarkLayout("Terminal-Bench", "Accuracy mean"),
    "cybench": BenchmarkLayout("Cybench", "Unguided % Solved"),
    "aider_polyglot": BenchmarkLayout("Aider Polyglot", "Percent correct"),
    "livebench": BenchmarkLayout("LiveBench", "Global average"),
    "os_world": BenchmarkLayout("OSWorld", "Score"),
    "vpct": BenchmarkLayout("VPCT", "Correct"),
    "videomme": BenchmarkLayout("Video-MME", "Overall (no subtitles)"),
    "gso_bench": BenchmarkLayout("GSO", "Score OPT@1"),
    "deepresearch": BenchmarkLayout("DeepResearch Bench", "Average score"),
    "balrog": BenchmarkLayout("BALROG", "Average progress"),
    "the_agent_company": BenchmarkLayout("TheAgentCompany", "% Score"),
    "osuniverse": BenchmarkLayout("OSUniverse", "Weighted Score"),
    "cadeval": BenchmarkLayout("CadEval", "Overall pass (%)"),
    "metr": BenchmarkLayout("METR time horizon", "Time horizon", unit="minutes"),
    "mcbench": BenchmarkLayout("MC-Bench", "ELO", unit="elo"),
}
# open-model-trends: score column -> layout (scores there are 0-1 fractions).
OPEN_MODEL_TRENDS_LAYOUTS = (
    BenchmarkLayout("BBH", "BBH", fraction=True),
    BenchmarkLayout("GPQA", "GPQA", fraction=True),
    BenchmarkLayout("MMLU", "MMLU", fraction=True),
    BenchmarkLayout("LMSys Elo", "LMSys Elo", unit="elo"),
)


def access_from_label(label: str | None) -> Access:
    """Epoch's accessibility labels: "Open weights (...)" is open; API, hosted or unreleased is closed."""
    if not label:
        return "unknown"
    low = label.strip().lower()
    if low.startswith("open"):
        return "open"
    if low.startswith(("closed", "api", "hosted", "unreleased")):
        return "closed"
    return "unknown"


@dataclass(frozen=True)
class ModelVersion:
    id: str
    model: str | None
    release_date: date | None


def read_all_systems(path: Path, *, skip_bad_rows: bool = False) -> Loaded[ModelEntry]:
    """Epoch's "All ML Systems - full view.csv": one catalogue entry per row."""

    def build(row: parse.Cells) -> ModelEntry | None:
        return ModelEntry(
            name=parse.require_text(row, "Model"),
            developer=parse.text(row, "Organization"),
            release_date=parse.day(row, "Publication date"),
            parameters=parse.number(row, "Parameters"),
            training_tokens=parse.number(row, "Training dataset size (datapoints)"),
            training_compute_flop=parse.number(row, "Training compute (FLOP)"),
            training_cost_usd=parse.number(row, "Training compute cost (2023 USD)"),
            access=access_from_label(parse.text(row, "Model accessibility")),
            modality=parse.text(row, "Domain"),
            training_hours=parse.number(row, "Training time (hours)"),
            training_chip_hours=parse.number(row, "Training chip-hours"),
            hardware=parse.text(row, "Training hardware"),
            hardware_quantity=parse.number(row, "Hardware quantity"),
            power_draw_w=parse.number(row, "Training power draw (W)"),
            source=f"{EPOCH_SOURCE}, {ALL_SYSTEMS_FILE}",
        )

    rows = parse.file_rows(path, format="csv", columns=("Model", "Organization", "Publication date"))
    return parse.collect(path, rows, build, skip_bad_rows=skip_bad_rows)


def read_model_versions(path: Path, *, skip_bad_rows: bool = False) -> Loaded[ModelVersion]:
    def build(row: parse.Cells) -> ModelVersion:
        return ModelVersion(
            parse.require_text(row, "id"), parse.text(row, "Model"), parse.day(row, "Version release date")
        )

    rows = parse.file_rows(path, format="csv", columns=("id", "Model", "Version release date"))
    return parse.collect(path, rows, build, skip_bad_rows=skip_bad_rows)


def layout_for(path: Path) -> BenchmarkLayout:
    key = path.stem.removeprefix("external_benchmark_")
    if key not in EPOCH_LAYOUTS:
        raise TrendsError(
            f"{path.name}: not a known Epoch benchmark file (known: "
            f"{', '.join(sorted(EPOCH_LAYOUTS))}); give its score column instead"
        )
    return EPOCH_LAYOUTS[key]


def read_benchmark_file(
    path: Path,
    versions: Mapping[str, ModelVersion],
    *,
    layout: BenchmarkLayout | None = None,
    skip_bad_rows: bool = False,
) -> Loaded[BenchmarkResult]:
    """An Epoch external_benchmark_*.csv. A row's release date is its model version's (from
    model_versions.csv); a row whose model version has no date keeps `release_date=None`.
    Rows with an empty score are not results and are left out."""
    layout = layout or layout_for(path)

    def build(row: parse.Cells) -> BenchmarkResult | None:
        value = parse.score(row, layout.score_column, fraction=layout.fraction)
        version_id = parse.text(row, "Model version")
        name = version_id or parse.text(row, "Name")
        if value is None or name is None:
            return None
        version = versions.get(version_id) if version_id else None
        return BenchmarkResult(
            benchmark=layout.benchmark,
            model=name,
            score=value,
            release_date=version.release_date if version else None,
            unit=layout.unit,
            source=parse.text(row, "Source") or f"{EPOCH_SOURCE}, {path.name}",
            source_url=parse.text(row, "Source link"),
        )

    rows = parse.file_rows(path, format="csv", columns=(layout.score_column, "Model version"))
    return parse.collect(path, rows, build, skip_bad_rows=skip_bad_rows)


def read_open_model_trends(
    path: Path, *, skip_bad_rows: bool = False
) -> tuple[Loaded[ModelEntry], Loaded[BenchmarkResult]]:
    """open-model-trends' table: a catalogue entry per model and its BBH, GPQA, MMLU and Elo results."""

    def build(row: parse.Cells) -> tuple[ModelEntry, list[BenchmarkResult]] | None:
        name = parse.require_text(row, "System")
        flag = (parse.text(row, "Open/Closed") or "").lower()
        access: Access = flag if flag in ("open", "closed") else "unknown"  # type: ignore[assignment]
        entry = ModelEntry(
            name=name,
            release_date=parse.day(row, "Date"),
            parameters=parse.number(row, "Model size (parameters)"),
            training_tokens=parse.number(row, "Dataset size"),
            training_compute_flop=parse.number(row, "Training compute (FLOP)"),
            access=access,
            source=f"{EPOCH_SOURCE}, open-model-trends",
        )
        results = []
        for layout in OPEN_MODEL_TRENDS_LAYOUTS:
            value = parse.score(row, layout.score_column, fraction=layout.fraction)
            if value is not None:
                results.append(
                    BenchmarkResult(
                        benchmark=layout.benchmark,
                        model=name,
                        score=value,
                        release_date=entry.release_date,
                        access=access,
                        unit=layout.unit,
                        source=f"{EPOCH_SOURCE}, open-model-trends",
                    )
                )
        return entry, results

    rows = parse.file_rows(path, format="csv", columns=("System", "Date", "Open/Closed"))
    loaded = parse.collect(path, rows, build, skip_bad_rows=skip_bad_rows)
    entries = Loaded(tuple(e for e, _ in loaded.items), loaded.skipped)
    results = Loaded(tuple(r for _, rs in loaded.items for r in rs), loaded.skipped)
    return entries, results


def with_access(
    results: tuple[BenchmarkResult, ...],
    versions: Mapping[str, ModelVersion],
    lookup: Callable[[str], ModelEntry | None],
) -> tuple[BenchmarkResult, ...]:
    """Fill access and developer from the catalogue, through model_versions' "Model" name."""
    out = []
    for r in results:
        version = versions.get(r.model)
        entry = lookup(version.model) if version and version.model else None
        entry = entry or lookup(r.model)
        if entry is None:
            out.append(r)
            continue
        out.append(
            replace(
                r,
                access=r.access if r.access != "unknown" else entry.access,
                developer=r.developer or entry.developer,
                catalogue_model=entry.name,
            )
        )
    return tuple(out)
