"""pass@k (Chen et al., 2021, "Evaluating Large Language Models Trained on Code", arXiv:2107.03374):
the unbiased estimate, from n samples of which c passed, that at least one of k drawn would pass."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from assay.core.registry import aggregators
from assay.core.types import Sample, Score

KS = (1, 10, 100)


def pass_at_k(n: int, c: int, k: int) -> float:
    """1 - C(n-c, k) / C(n, k), computed as a stable product."""
    if not 0 <= c <= n or k < 1 or k > n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


@aggregators.register("pass_at_k")
def pass_at_k_by_problem(items: Sequence[tuple[Sample, Score]]) -> dict[str, float]:
    """Mean over problems ("problem" metadata, else the sample id) of pass@k for every k that every
    problem's sample count allows."""
    results: dict[str, list[float]] = defaultdict(list)
    for sample, score in items:
        if "passed" in score.values:
            results[str(dict(sample.metadata).get("problem", sample.id))].append(score.values["passed"])
    if not results:
        return {}
    n_min = min(len(v) for v in results.values())
    out = {}
    for k in (k for k in KS if k <= n_min):
        per_problem = [pass_at_k(len(v), int(sum(v)), k) for v in results.values()]
        out[f"pass@{k}"] = math.fsum(per_problem) / len(per_problem)
    return out
