"""Named suites: lists of (task, options, sample limit)."""

from __future__ import annotations

from assay.core.registry import suites


@suites.register("quick")
def quick() -> list[tuple[str, dict[str, object]]]:
    """A few minutes on a laptop CPU: one generation task and one log-likelihood task."""
    return [("gsm8k", {"limit": 20}), ("arithmetic_mc", {"limit": 60})]
