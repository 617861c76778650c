"""Run untrusted Python (model-written code) inside bubblewrap, as an unprivileged user, with limits.

Safe by construction rather than by patching Python: the program sees a read-only /usr (the system
Python and its standard library), its own files on a small tmpfs, a private /proc, and nothing
else of the host's filesystem; every namespace is unshared (no network, no host processes); the
process runs as an unprivileged uid (as root the process limit would not apply) with CPU, memory,
process, file-size and open-file limits and no core dumps; a wall-clock deadline kills the whole
process group; output is capped by the file-size limit and read back truncated.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from assay.core.errors import SandboxError
from assay.sandbox import cgroups
from assay.sandbox.launch import SERIAL_PROCESSES, SYSTEM_PYTHON, launch, live_processes
from assay.sandbox.records import Limits, Outcome, Status

_CHECKED: dict[str, str | None] = {}
HOST_FAILURE_ATTEMPTS = 3  # a program that failed for want of what it did not use up is run again


def sandbox_problem() -> str | None:
    """None when bubblewrap works here for an unprivileged uid, else why not (checked once)."""
    if "bwrap" not in _CHECKED:
        _CHECKED["bwrap"] = _probe()
    return _CHECKED["bwrap"]


def _probe() -> str | None:
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed (Debian: apt install bubblewrap)"
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} is missing; the sandbox runs the system Python"
    try:
        out = launch("print('ok')", {}, Limits(wall_seconds=30), sandboxed=True)
    except (OSError, SandboxError) as exc:
        return f"bubblewrap could not run a program here (user namespaces disabled?): {exc}"
    if out.status != "passed" or out.stdout.strip() != "ok":
        return f"bubblewrap could not run a program (user namespaces disabled?): {out.error_line}"
    return None


def run_python(
    code: str,
    *,
    files: dict[str, str] | None = None,
    limits: Limits | None = None,
    unsafe_no_sandbox: bool = False,
    workdir: Path | None = None,
) -> Outcome:
    """Run `code` as main.py next to `files`; passed = exit status 0 within the limits.

    `workdir`, a host directory, is bound read-write at /sandbox/work and is the working directory:
    what the program writes there stays after it ends (an agent's session keeps its files so).

    Refuses (SandboxError) when the sandbox cannot work here, unless `unsafe_no_sandbox` is given;
    then the code runs with the same limits but without isolation, and the outcome says so. A program
    that failed because the host ran short (not itself) is run again, a few times; if it never gets a
    fair run, the outcome's `host_failure` says why, and it must not be scored as failed."""
    problem = sandbox_problem()
    if problem and not unsafe_no_sandbox:
        raise SandboxError(
            f"refusing to run model-written code: {problem}; pass --unsafe-no-sandbox to run "
            "it without isolation (not recommended)"
        )
    for attempt in range(1, HOST_FAILURE_ATTEMPTS + 1):
        outcome = launch(code, files or {}, limits or Limits(), sandboxed=problem is None, workdir=workdir)
        if outcome.host_failure is None:
            break
        time.sleep(0.5 * attempt)  # let the host recover before the next try
    return outcome  # still host_failure after every attempt: the caller records an error, not a score


def isolation() -> str:
    """What keeps one sandboxed run from another here, in words for the run record."""
    found = cgroups.parents()
    if os.getuid() == 0:
        budgets = (
            f"memory and process budgets per run (cgroup v{found[1]})" if found else "per-process limits"
        )
        return f"a uid of its own and {budgets} for every run"
    if found is not None:
        return f"memory and process budgets per run (a cgroup v{found[1]} delegated to this user)"
    return (
        f"programs one at a time with per-process limits, at most {SERIAL_PROCESSES} processes each "
        "(no cgroup this user may manage: see docs/sandbox.md)"
    )


__all__ = ["Limits", "Outcome", "Status", "isolation", "live_processes", "run_python", "sandbox_problem"]
