"""Energy and emissions of assay's own runs.

Measured where the machine exposes Intel/AMD RAPL counters (/sys/class/powercap/intel-rapl:N, the
package domains; their sum over the run, wrap-around handled), else estimated from this process's CPU
time (its threads and waited-for children) x a stated power per busy core. CO2e = energy x a grid
carbon intensity. RAPL counts the whole package, other processes included: on a shared machine it
is an upper bound, and the run record says which method gave the number.

CodeCarbon would do the same in offline mode but brings pandas, psutil, pynvml and more; this is
the part of it we need. Its fallback for an unknown CPU is likewise a fixed power per the machine's
thermal design power.
"""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

POWERCAP = Path("/sys/class/powercap")
WATTS_PER_CORE = 12.0  # a busy core: e.g. a 180 W, 16-core server CPU at full load is ~11 W per core
GRID_G_PER_KWH = 480.0  # world average 2023 (Ember, Global Electricity Review 2024)
GRID_SOURCE = "world average 2023, 480 gCO2e/kWh (Ember, Global Electricity Review 2024)"
JOULES_PER_KWH = 3.6e6


@dataclass(frozen=True)
class EnergyUse:
    joules: float
    method: str  # "RAPL ..." or "estimate: ..."
    co2e_g: float
    grid_g_per_kwh: float
    cpu_s: float
    wall_s: float

    @property
    def kwh(self) -> float:
        return self.joules / JOULES_PER_KWH


def rapl_domains(root: Path = POWERCAP) -> list[Path]:
    """Top-level RAPL package domains whose counter this user can read (often root only)."""
    out = []
    for domain in sorted(root.glob("intel-rapl:*")):
        if domain.name.count(":") != 1:
            continue  # a subdomain (core, uncore, dram) is already counted in its package
        try:
            int((domain / "energy_uj").read_text())
        except (OSError, ValueError):
            continue
        out.append(domain)
    return out


def _read_uj(domain: Path) -> tuple[int, int]:
    counter = int((domain / "energy_uj").read_text())
    try:
        wrap = int((domain / "max_energy_range_uj").read_text())
    except (OSError, ValueError):
        wrap = 0
    return counter, wrap


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class EnergyMeter:
    """Started when a run starts, read when it ends."""

    def __init__(self, options: Mapping[str, float] | None = None, *, powercap: Path = POWERCAP) -> None:
        options = options or {}
        self.watts_per_core = float(options.get("watts_per_core", WATTS_PER_CORE))
        self.grid = float(options.get("grid_g_per_kwh", GRID_G_PER_KWH))
        self.domains = rapl_domains(powercap)
        self.start_uj = [self._safe_read(d) for d in self.domains]
        self.start_cpu, self.start_wall = _cpu_seconds(), time.perf_counter()

    @staticmethod
    def _safe_read(domain: Path) -> tuple[int, int] | None:
        try:
            return _read_uj(domain)
        except (OSError, ValueError):
            return None

    def _rapl_joules(self) -> float | None:
        total = 0
        for domain, start in zip(self.domains, self.start_uj, strict=True):
            end = self._safe_read(domain)
            if start is None or end is None:
                return None
            delta = end[0] - start[0]
            total += delta if delta >= 0 else delta + end[1]  # the counter wrapped once
        return total / 1e6

    def read(self) -> EnergyUse:
        cpu, wall = _cpu_seconds() - self.start_cpu, time.perf_counter() - self.start_wall
        measured = self._rapl_joules() if self.domains else None
        if measured is not None:
            joules = measured
            method = (
                f"RAPL package energy over {len(self.domains)} package(s) "
                "(whole machine, other processes included)"
            )
        else:
            joules = cpu * self.watts_per_core
            method = f"estimate: process CPU time {cpu:.1f} s x {self.watts_per_core:g} W per busy core"
        co2e = joules / JOULES_PER_KWH * self.grid
        return EnergyUse(joules, method, co2e, self.grid, cpu, wall)


def split_by_model(total_j: float, busy_s: Mapping[str, float]) -> dict[str, float]:
    """A run's energy shared among its models by their summed request time (what each kept busy)."""
    busy = math.fsum(busy_s.values())
    if busy <= 0:
        share = total_j / len(busy_s) if busy_s else 0.0
        return {m: share for m in busy_s}
    return {m: total_j * s / busy for m, s in busy_s.items()}
