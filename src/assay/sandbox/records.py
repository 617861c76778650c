"""The records a sandboxed run takes and gives back: its limits and its outcome.

Their own module so the launcher and the runner both import them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["passed", "failed", "timeout"]


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 10
    wall_seconds: float = 20.0
    memory_mb: int = 1024
    processes: int = 16
    file_size_mb: int = 8  # also the cap on stdout/stderr
    open_files: int = 64
    tmpfs_mb: int = 32
    output_chars: int = 4000  # kept of stdout/stderr in the result


@dataclass(frozen=True)
class Outcome:
    status: Status
    returncode: int | None
    stdout: str
    stderr: str
    duration_s: float
    sandboxed: bool
    # Set when the program failed for want of processes or memory that it did not use up itself (the
    # host, or a neighbour, ran out): not the program's failure, so it is run again, never scored.
    host_failure: str | None = None

    @property
    def error_line(self) -> str:
        """The last line of stderr (the exception), for per-problem reports."""
        lines = [line for line in self.stderr.strip().splitlines() if line.strip()]
        return lines[-1][:300] if lines else ("timed out" if self.status == "timeout" else "")
