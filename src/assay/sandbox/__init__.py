"""Running untrusted code: bubblewrap + an unprivileged uid + resource limits (stdlib only)."""

from assay.sandbox.pool import run_many
from assay.sandbox.records import Limits, Outcome
from assay.sandbox.runner import run_python, sandbox_problem

__all__ = ["Limits", "Outcome", "run_many", "run_python", "sandbox_problem"]
