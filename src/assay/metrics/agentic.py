"""Run-level metrics of agent tasks: resolved rate with its Wilson interval, turns and tokens used,
tool-error rate, cost, and pass@k over repeated attempts of one problem."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from assay.core.registry import aggregators
from assay.core.types import Sample, Score
from assay.metrics.intervals import wilson_interval
from assay.metrics.pass_at_k import KS, pass_at_k


@aggregators.register("agentic")
def agentic_summary(items: Sequence[tuple[Sample, Score]]) -> dict[str, float]:
    """Over every scored attempt: resolved rate (and 95% Wilson bounds), mean turns and tokens, tool
    errors per tool call, total cost when prices were given, pass@k per problem for each k that every
    problem's attempt count allows."""
    scored = [s.values for _, s in items if "resolved" in s.values]
    if not scored:
        return {}
    n = len(scored)
    resolved = int(sum(v["resolved"] for v in scored))
    low, high = wilson_interval(resolved, n)
    calls = math.fsum(v.get("tool_calls", 0.0) for v in scored)
    out = {
        "resolved_rate": resolved / n,
        "resolved_low": low,
        "resolved_high": high,
        "mean_turns": math.fsum(v.get("turns", 0.0) for v in scored) / n,
        "mean_tokens": math.fsum(v.get("tokens", 0.0) for v in scored) / n,
        "tool_error_rate": math.fsum(v.get("tool_errors", 0.0) for v in scored) / calls if calls else 0.0,
    }
    if any("cost_usd" in v for v in scored):
        out["cost_usd"] = math.fsum(v.get("cost_usd", 0.0) for v in scored)
    out.update(_pass_at_ks(items))
    return out


def _pass_at_ks(items: Sequence[tuple[Sample, Score]]) -> dict[str, float]:
    attempts: dict[str, list[float]] = defaultdict(list)
    for sample, score in items:
        if "resolved" in score.values:
            attempts[str(dict(sample.metadata).get("problem", sample.id))].append(score.values["resolved"])
    fewest = min(len(v) for v in attempts.values())
    out = {}
    for k in (k for k in KS if k <= fewest):
        per_problem = [pass_at_k(len(v), int(sum(v)), k) for v in attempts.values()]
        out[f"pass@{k}"] = math.fsum(per_problem) / len(per_problem)
    return out
