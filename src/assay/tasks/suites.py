"""Named suites: lists of (task, options, sample limit)."""

from __future__ import annotations

from assay.core.registry import suites


@suites.register("quick")
def quick() -> list[tuple[str, dict[str, object]]]:
    """A few minutes on a laptop CPU: one generation task and one log-likelihood task."""
    # 52 GSM8K questions: a standard error of at most 0.05 for a model near 15% (needs n >= 51).
    return [("gsm8k", {"limit": 52}), ("arithmetic_mc", {"limit": 60})]
