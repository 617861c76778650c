"""Running untrusted code: bubblewrap + resource limits + a budget per run (a cgroup, as root or in a
group delegated to the user; else one program at a time)."""

from assay.sandbox.pool import run_many
from assay.sandbox.records import Limits, Outcome
from assay.sandbox.runner import isolation, run_python, sandbox_problem

__all__ = ["Limits", "Outcome", "isolation", "run_many", "run_python", "sandbox_problem"]
