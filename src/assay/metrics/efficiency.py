"""Efficiency of one (model, task): tokens, latency per request (mean and p95), tokens per second and
cost from the user's per-1,000-token prices. Pure: usage in, numbers out."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assay.core.metric_groups import declare_metric

CHARS_PER_TOKEN = 4.0  # when a backend reports no usage: OpenAI's rule of thumb for English text

declare_metric("prompt_tokens", "efficiency", higher_is_better=None)
declare_metric("completion_tokens", "efficiency", higher_is_better=None)
declare_metric("latency_mean_s", "efficiency", higher_is_better=False)
declare_metric("latency_p95_s", "efficiency", higher_is_better=False)
declare_metric("tokens_per_s", "efficiency", higher_is_better=True)
declare_metric("cost", "efficiency", higher_is_better=False)


@dataclass(frozen=True)
class Usage:
    """One answered request: its latency and tokens (counted from text when the backend said nothing)."""

    latency_s: float | None
    prompt_tokens: int
    completion_tokens: int
    counted: bool = False  # tokens estimated from characters, not reported by the backend


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): a value that was observed, never interpolated."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def efficiency_metrics(usage: Sequence[Usage], price: Mapping[str, float] | None = None) -> dict[str, float]:
    """Totals of tokens, latency mean and p95, tokens (prompt + completion) per second of request
    time, and `cost` when a price per 1,000 input and/or output tokens is given."""
    if not usage:
        return {}
    prompt = sum(u.prompt_tokens for u in usage)
    completion = sum(u.completion_tokens for u in usage)
    out = {"prompt_tokens": float(prompt), "completion_tokens": float(completion)}
    latencies = [u.latency_s for u in usage if u.latency_s is not None]
    if latencies:
        out["latency_mean_s"] = math.fsum(latencies) / len(latencies)
        out["latency_p95_s"] = percentile(latencies, 95)
        busy = math.fsum(latencies)
        if busy > 0:
            out["tokens_per_s"] = (prompt + completion) / busy
    if price:
        out["cost"] = prompt / 1000 * price.get("input", 0.0) + completion / 1000 * price.get("output", 0.0)
    return out


def price_for(prices: Mapping[str, Mapping[str, float]], model: str) -> Mapping[str, float] | None:
    """A model's own prices, else the ones given for every model ("*")."""
    return prices.get(model) or prices.get("*")
