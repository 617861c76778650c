"""How trend records read as terminal table columns: header -> attribute name or function of the record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Columns = dict[str, str | Callable[[Any], object]]

CATALOGUE: Columns = {
    "model": "name",
    "developer": "developer",
    "released": "release_date",
    "parameters": "parameters",
    "tokens": "training_tokens",
    "compute (FLOP)": "training_compute_flop",
    "cost (USD)": "training_cost_usd",
    "access": "access",
    "modality": "modality",
}
COUNTS: Columns = {"benchmark": lambda kv: kv[0], "dated results": lambda kv: kv[1]}
RECORDS: Columns = {"date": "date", "model": "model", "score": "score", "source": "source"}
BY_YEAR: Columns = {
    "year": "year",
    "best": "score",
    "model": "model",
    "gain (points)": "gain_points",
    "gain (%)": "gain_percent",
}
SATURATION: Columns = {
    "benchmark": "benchmark",
    "best": "best",
    "model": "best_model",
    "last gain": "last_gain",
    "saturated": lambda s: "yes" if s.saturated else "no",
    "why": lambda s: "; ".join(s.reasons),
}
GAP: Columns = {
    "benchmark": "benchmark",
    "as of": "at",
    "best closed": "closed_best",
    "closed model": "closed_model",
    "best open": "open_best",
    "open model": "open_model",
    "points": "points",
    "advantage %": lambda g: 100 * g.relative,
}
LAG: Columns = {
    "closed record": "closed_model",
    "date": "closed_date",
    "score": "score",
    "first open match": lambda g: g.open_model or "not yet",
    "open date": "open_date",
    "days": "days",
}
EMISSIONS: Columns = {
    "model": "model",
    "basis": "method",
    "accelerator": "accelerator",
    "GPU-hours": "gpu_hours",
    "energy (MWh)": "energy_mwh",
    "estimate (t CO2e)": "co2_t",
    "reported (t CO2e)": "reported_co2_t",
}
FOOTPRINT: Columns = {
    "run": "run_id",
    "model": "model",
    "queries": "queries",
    "busy s": "wall_s",
    "tokens": "tokens",
    "tokens/s": "tokens_per_s",
    "Wh / 1000 q": lambda r: None if r.kwh_per_1000 is None else 1000 * r.kwh_per_1000,
    "g CO2e / 1000 q": "co2_g_per_1000",
}


def cells(record: Any, columns: Columns) -> list[object]:
    return [get(record) if callable(get) else getattr(record, get) for get in columns.values()]
