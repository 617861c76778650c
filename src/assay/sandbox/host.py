"""What the kernel says about the whole machine: whether it ran short of memory or of process slots.

A sandboxed program that failed while the host was short, and not because it reached its own
budgets, did not fail on its merits: it is run again, and never scored as failed. These counters are
the kernel's, so a program cannot fake them by printing an error message.
"""

from __future__ import annotations

from pathlib import Path

SHORT = 0.9  # "short of process slots": more than this share of the kernel's limit in use


def oom_kills() -> int:
    """Processes the kernel's OOM killer has killed since boot (anywhere on the machine)."""
    try:
        for line in Path("/proc/vmstat").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def short_of_tasks() -> bool:
    """Whether the machine's tasks are close to what the kernel allows (threads-max, pid_max)."""
    try:
        tasks = int(Path("/proc/loadavg").read_text().split()[3].split("/")[1])
        limit = min(
            int(Path("/proc/sys/kernel/threads-max").read_text()),
            int(Path("/proc/sys/kernel/pid_max").read_text()),
        )
    except (OSError, ValueError, IndexError):
        return False
    return tasks > SHORT * limit
