"""A control group per sandboxed run (when running as root): one memory and one process budget for the
whole run, where rlimits only bound each process (16 processes x RLIMIT_AS would be 16 GB).

Works with cgroup v2 (one hierarchy with the memory and pids controllers) and with v1 (separate
memory and pids hierarchies). Without either, or without root, the run keeps its rlimits only.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PARENT = "assay-sandbox"


@dataclass(frozen=True)
class RunCgroup:
    """The directories of one run's group (one on v2, two on v1); `procs` files take a pid."""

    dirs: tuple[Path, ...]

    @property
    def procs(self) -> tuple[Path, ...]:
        return tuple(d / "cgroup.procs" for d in self.dirs)

    def remove(self) -> None:
        """Remove the (empty) group; a zombie still being reaped may hold it for a moment."""
        for directory in self.dirs:
            for _ in range(50):
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


def _v2_parent() -> Path | None:
    controllers = ROOT / "cgroup.controllers"
    if not controllers.exists() or not {"memory", "pids"} <= set(controllers.read_text().split()):
        return None
    parent = ROOT / PARENT
    parent.mkdir(exist_ok=True)
    (ROOT / "cgroup.subtree_control").write_text("+memory +pids")
    (parent / "cgroup.subtree_control").write_text("+memory +pids")
    return parent


def _v1_parents() -> tuple[Path, Path] | None:
    memory, pids = ROOT / "memory", ROOT / "pids"
    if not (memory / "memory.limit_in_bytes").exists() or not (pids / "cgroup.procs").exists():
        return None
    for base in (memory, pids):
        (base / PARENT).mkdir(exist_ok=True)
    return memory / PARENT, pids / PARENT


def create(name: str, memory_bytes: int, processes: int) -> RunCgroup | None:
    """A fresh group for one run, or None where cgroups cannot be used (not root, not mounted)."""
    if os.getuid() != 0:
        return None
    try:
        v2 = _v2_parent()
        if v2 is not None:
            run = v2 / name
            run.mkdir(exist_ok=True)
            (run / "memory.max").write_text(str(memory_bytes))
            (run / "memory.swap.max").write_text("0") if (run / "memory.swap.max").exists() else None
            (run / "pids.max").write_text(str(processes))
            return RunCgroup((run,))
        v1 = _v1_parents()
        if v1 is None:
            return None
        memory, pids = v1[0] / name, v1[1] / name
        memory.mkdir(exist_ok=True)
        pids.mkdir(exist_ok=True)
        (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
        with contextlib.suppress(OSError):  # only with swap accounting on
            (memory / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
        (pids / "pids.max").write_text(str(processes))
        return RunCgroup((memory, pids))
    except OSError:
        return None  # a read-only or delegated hierarchy: rlimits still apply


def enter_command(group: RunCgroup) -> list[str]:
    """A shell prefix that moves itself into the group, then execs the rest of the command: every
    process the run starts is inside from its first instruction (no race with an early fork)."""
    writes = " && ".join(f'echo $$ > "${i + 1}"' for i in range(len(group.procs)))
    script = f'{writes} && shift {len(group.procs)} && exec "$@"'
    return ["/bin/sh", "-c", script, "sh", *map(str, group.procs)]
