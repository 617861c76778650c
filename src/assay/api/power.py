"""Power analysis as the front door offers it: `assay.power_analysis(0.6, effect=0.03)`.

Give an effect to learn how many paired samples a task needs, or a sample count to learn the smallest
effect it can detect. The arithmetic lives in `assay.metrics.power`; this layer checks the input
and turns a bad value into one user-facing line."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from assay.core.errors import AssayError
from assay.metrics.power import minimum_detectable_effect, paired_sample_size


@dataclass(frozen=True)
class PowerAnalysis:
    """Samples per model (both models answer the same ones) and the effect they detect."""

    baseline: float
    effect: float  # accuracy gain over baseline (0.03 = 3 points); inf if nothing is detectable
    samples: int
    correlation: float
    alpha: float
    power: float
    solved_for: str  # "samples" or "effect"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def power_analysis(
    baseline: float,
    *,
    effect: float | None = None,
    samples: int | None = None,
    correlation: float = 0.0,
    alpha: float = 0.05,
    power: float = 0.8,
) -> PowerAnalysis:
    """Paired power analysis for accuracy: exactly one of `effect` and `samples`.

    `correlation` is between the two models' per-sample scores; 0 is the conservative choice, and
    models compared on the same items are usually positively correlated (fewer samples needed)."""
    if (effect is None) == (samples is None):
        raise AssayError(
            "give exactly one of --effect (to get a sample size) and --samples (to get an effect)"
        )
    try:
        if effect is not None:
            n = paired_sample_size(baseline, effect, correlation=correlation, alpha=alpha, power=power)
            return PowerAnalysis(baseline, effect, n, correlation, alpha, power, "samples")
        assert samples is not None
        found = minimum_detectable_effect(
            baseline, samples, correlation=correlation, alpha=alpha, power=power
        )
        return PowerAnalysis(baseline, found, samples, correlation, alpha, power, "effect")
    except ValueError as exc:
        raise AssayError(str(exc)) from None
