"""Many programs at once: each runs in its own sandbox (a subprocess), so threads are enough to keep
the machine's cores busy; a hung or crashing program costs its own slot, never the batch."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from assay.sandbox.runner import Limits, Outcome, run_python


def run_many(
    programs: Sequence[str],
    *,
    limits: Limits | None = None,
    workers: int | None = None,
    unsafe_no_sandbox: bool = False,
) -> list[Outcome]:
    """Outcomes in the order of `programs`."""
    size = workers or max(1, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=size) as pool:
        return list(
            pool.map(
                lambda code: run_python(code, limits=limits, unsafe_no_sandbox=unsafe_no_sandbox), programs
            )
        )
