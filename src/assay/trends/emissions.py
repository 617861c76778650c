"""Energy and emissions estimates. Training: (compute or GPU-hours) x power x PUE x grid carbon
intensity, with every parameter explicit and its default's source named. Own runs: measured wall
time and tokens, and an energy/CO2 estimate per 1,000 queries from a configured power draw. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from assay.trends.catalogue import Catalogue
from assay.trends.records import ModelEntry, TrendsError, norm_name


@dataclass(frozen=True)
class Assumption:
    value: float
    unit: str
    source: str


@dataclass(frozen=True)
class Accelerator:
    name: str
    power_w: float  # board power (TDP)
    peak_flops: float  # dense BF16/FP16 tensor throughput, FLOP/s
    source: str


ACCELERATORS: dict[str, Accelerator] = {
    "a100": Accelerator("NVIDIA A100 SXM", 400.0, 312e12, "NVIDIA A100 Tensor Core GPU datasheet"),
    "h100": Accelerator("NVIDIA H100 SXM", 700.0, 989e12, "NVIDIA H100 Tensor Core GPU datasheet"),
    "v100": Accelerator("NVIDIA V100 SXM2", 300.0, 125e12, "NVIDIA Tesla V100 GPU datasheet"),
}
DEFAULT_ACCELERATOR = "a100"

DEFAULTS: dict[str, Assumption] = {
    "utilization": Assumption(
        0.40,
        "fraction of peak FLOP/s (MFU)",
        "PaLM reports 46.2% MFU (Chowdhery et al. 2022, arXiv:2204.02311); "
        "Llama 3 reports 38-43% (Dubey et al. 2024, arXiv:2407.21783)",
    ),
    "pue": Assumption(
        1.10,
        "facility energy / IT energy",
        "Google data centers, fleet-wide trailing-twelve-month PUE, 2023 "
        "(google.com/about/datacenters/efficiency); the Uptime Institute 2023 survey "
        "average is 1.58",
    ),
    "grid_kg_per_kwh": Assumption(
        0.48,
        "kg CO2e per kWh",
        "world average electricity carbon intensity 2023, 480 g/kWh (Ember, Global Electricity Review 2024)",
    ),
    "inference_power_w": Assumption(
        150.0,
        "W while a run is going",
        "assay's assumption for one workstation under load; measure yours and pass --power-w",
    ),
}


@dataclass(frozen=True)
class EmissionParams:
    accelerator: Accelerator = ACCELERATORS[DEFAULT_ACCELERATOR]
    utilization: float = DEFAULTS["utilization"].value
    pue: float = DEFAULTS["pue"].value
    grid_kg_per_kwh: float = DEFAULTS["grid_kg_per_kwh"].value

    def __post_init__(self) -> None:
        if not 0 < self.utilization <= 1:
            raise TrendsError(f"utilization must be in (0, 1], got {self.utilization}")
        if self.pue < 1:
            raise TrendsError(f"PUE must be at least 1, got {self.pue}")
        if self.grid_kg_per_kwh < 0 or self.accelerator.power_w <= 0 or self.accelerator.peak_flops <= 0:
            raise TrendsError("grid intensity, power and peak FLOP/s must be positive")


@dataclass(frozen=True)
class TrainingEstimate:
    model: str
    method: str  # "chip-hours" | "compute"
    accelerator: str
    gpu_hours: float
    energy_mwh: float
    co2_t: float
    reported_co2_t: float | None = None
    reported_source: str | None = None


def accelerator_for(hardware: str | None, fallback: Accelerator) -> Accelerator:
    """The profile a catalogue's hardware text names; else `fallback`, marked "(assumed)" when the
    text names hardware we have no profile for (e.g. TPUs)."""
    low = (hardware or "").lower()
    found = next((a for key, a in ACCELERATORS.items() if key in low), None)
    if found is not None:
        return found
    return replace(fallback, name=f"{fallback.name} (assumed)") if hardware else fallback


def gpu_hours_from_compute(flop: float, params: EmissionParams) -> float:
    return flop / (params.accelerator.peak_flops * params.utilization) / 3600.0


def energy_kwh(gpu_hours: float, params: EmissionParams) -> float:
    """GPU-hours x board power x PUE."""
    return gpu_hours * params.accelerator.power_w / 1000.0 * params.pue


def co2_tonnes(kwh: float, params: EmissionParams) -> float:
    return kwh * params.grid_kg_per_kwh / 1000.0


def estimate_training(
    entry: ModelEntry, params: EmissionParams | None = None, *, match_hardware: bool = True
) -> TrainingEstimate | None:
    """Chip-hours when the catalogue has them, else training compute; None when it has neither."""
    params = params or EmissionParams()
    if match_hardware:
        params = replace(params, accelerator=accelerator_for(entry.hardware, params.accelerator))
    if entry.training_chip_hours:
        method, hours = "chip-hours", entry.training_chip_hours
    elif entry.training_compute_flop:
        method, hours = "compute", gpu_hours_from_compute(entry.training_compute_flop, params)
    else:
        return None
    kwh = energy_kwh(hours, params)
    return TrainingEstimate(
        entry.name, method, params.accelerator.name, hours, kwh / 1000.0, co2_tonnes(kwh, params)
    )


def with_reported(estimate: TrainingEstimate, reported: dict[str, dict[str, Any]]) -> TrainingEstimate:
    """Attach a published figure (model name -> {"co2_t", "citation"}) where one is known."""
    by_name = {norm_name(name): figure for name, figure in reported.items()}
    figure = by_name.get(norm_name(estimate.model))
    if not figure:
        return estimate
    return replace(estimate, reported_co2_t=float(figure["co2_t"]), reported_source=str(figure["citation"]))


@dataclass(frozen=True)
class RunFootprint:
    """What one model did in one assay run, measured, with energy from the configured power draw."""

    run_id: str
    model: str
    queries: int
    wall_s: float
    tokens: int
    tokens_per_s: float | None
    energy_kwh: float
    co2_g: float
    kwh_per_1000: float | None
    co2_g_per_1000: float | None


def run_footprint(
    run_id: str,
    model: str,
    *,
    queries: int,
    wall_s: float,
    tokens: int,
    power_w: float = DEFAULTS["inference_power_w"].value,
    pue: float = 1.0,
    grid_kg_per_kwh: float = DEFAULTS["grid_kg_per_kwh"].value,
) -> RunFootprint:
    """energy = power x wall time x PUE; CO2 = energy x grid intensity; both also per 1,000 queries."""
    if power_w < 0 or wall_s < 0 or pue < 1:
        raise TrendsError("power and wall time must be non-negative and PUE at least 1")
    kwh = power_w * wall_s / 3600.0 / 1000.0 * pue
    grams = kwh * grid_kg_per_kwh * 1000.0
    per = 1000.0 / queries if queries else None
    return RunFootprint(
        run_id,
        model,
        queries,
        wall_s,
        tokens,
        tokens / wall_s if wall_s > 0 else None,
        kwh,
        grams,
        kwh * per if per else None,
        grams * per if per else None,
    )


def choose_estimates(
    catalogue: Catalogue,
    models: Sequence[str] | None,
    params: EmissionParams,
    reported: dict[str, dict[str, Any]],
    *,
    largest: int = 8,
) -> list[TrainingEstimate]:
    """Estimates for the models named, or else for those with a published figure and the `largest`
    by training compute; a named model the catalogue cannot estimate is an error."""
    if models:
        entries = [catalogue.require(m) for m in models]
    else:
        known = [e for e in (catalogue.get(m) for m in reported) if e is not None]
        biggest = sorted(
            (e for e in catalogue if e.training_compute_flop), key=lambda e: -(e.training_compute_flop or 0)
        )[:largest]
        entries = list({e.name: e for e in [*known, *biggest]}.values())
    out = []
    for entry in entries:
        estimate = estimate_training(entry, params)
        if estimate is None:
            raise TrendsError(f"{entry.name}: the catalogue has neither its chip-hours nor its compute")
        out.append(with_reported(estimate, reported))
    return out
