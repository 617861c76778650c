"""A simulated judge of known noise, for tests and benchmarks of the ranking methods.

Thurstone-style: each call perceives quality difference d = s_first - s_second + bias + noise * z
(z standard normal, fresh per call) and reports P(first better) = sigmoid(d / temperature). Its
verdict is A when that probability is at least 0.5. With noise 0 and bias 0 it never errs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from assay.judge.types import Verdict


@dataclass
class SimulatedJudge:
    scores: np.ndarray  # true quality per candidate (higher is better)
    noise: float = 0.0
    position_bias: float = 0.0  # added in favour of the answer shown first
    temperature: float = 0.5
    seed: int = 0
    calls: int = 0
    _rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed)

    def prefer(self, first: int, second: int) -> float:
        """P(first is better) as the judge reports it (one call)."""
        self.calls += 1
        d = float(self.scores[first] - self.scores[second]) + self.position_bias
        if self.noise > 0:
            d += self.noise * float(self._rng.standard_normal())
        return 1.0 / (1.0 + math.exp(-max(min(d / self.temperature, 700.0), -700.0)))

    def verdict(self, first: int, second: int) -> Verdict:
        return "A" if self.prefer(first, second) >= 0.5 else "B"

    def prefer_by_verdict(self, first: int, second: int) -> float:
        """A judge without token probabilities: its verdict as 1 or 0."""
        return 1.0 if self.verdict(first, second) == "A" else 0.0

    def true_order(self) -> list[int]:
        return [int(i) for i in np.argsort(-self.scores, kind="stable")]
