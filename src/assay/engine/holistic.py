"""Checking the holistic options of a run (perturbations, prices, energy parameters), one place for
the CLI, the Python API and YAML specs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from assay.core.errors import AssayError, ConfigError
from assay.tasks.perturb import resolve

PRICE_KEYS = ("input", "output")  # per 1,000 tokens, in the user's currency
ENERGY_KEYS = ("watts_per_core", "grid_g_per_kwh")


def resolve_perturbations(spec: str | Sequence[str] | None, where: str = "--perturb") -> tuple[str, ...]:
    try:
        return resolve(spec)
    except AssayError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _positive(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{where}: expected a number >= 0, got {value!r}")
    return float(value)


def check_prices(raw: Mapping[str, Any], where: str = "prices") -> dict[str, dict[str, float]]:
    """`{model or "*": {input: X, output: Y}}` (per 1,000 tokens) -> the same, checked."""
    out: dict[str, dict[str, float]] = {}
    for model, price in raw.items():
        if not isinstance(price, Mapping) or set(price) - set(PRICE_KEYS):
            raise ConfigError(f"{where}: {model}: expected a mapping with input and/or output")
        out[str(model)] = {k: _positive(v, f"{where}: {model}.{k}") for k, v in price.items()}
    return out


def check_energy(raw: Mapping[str, Any], where: str = "energy") -> dict[str, float]:
    unknown = set(raw) - set(ENERGY_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown field {sorted(unknown)[0]!r} (allowed: {', '.join(ENERGY_KEYS)})"
        )
    return {k: _positive(v, f"{where}: {k}") for k, v in raw.items()}
