"""A control group per sandboxed run: one memory and one process budget for the whole run, where
rlimits only bound each process (16 processes x RLIMIT_AS would be 16 GB), and a sure way to find
and kill every process the run started.

As root, assay makes its own parent group under the hierarchy's root. As an ordinary user it uses a
group delegated to it: the group its own process runs in, when the user may write there (systemd
gives one with `systemd-run --user --scope -p Delegate=yes`; an administrator can chown one). Works
with cgroup v2 (one hierarchy with the memory and pids controllers) and v1 (separate memory and pids
hierarchies). Without either, `create` gives None and the launcher falls back to one program at a time.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PARENT = "assay-sandbox"


@dataclass(frozen=True)
class RunCgroup:
    """The directories of one run's group (one on v2, two on v1); `procs` files take a pid."""

    dirs: tuple[Path, ...]
    version: int

    @property
    def procs(self) -> tuple[Path, ...]:
        return tuple(d / "cgroup.procs" for d in self.dirs)

    def limits_reached(self) -> set[str]:
        """Which of the run's own budgets refused it something: "processes" (a fork failed at
        pids.max), "memory" (the memory limit was hit or the group's OOM killer ran)."""
        reached = set()
        for directory in self.dirs:
            if _counter(directory / "pids.events", "max") > 0:
                reached.add("processes")
            memory_hits = (
                _counter(directory / "memory.events", "max")
                + _counter(directory / "memory.events", "oom_kill")
                if self.version == 2
                else _number(directory / "memory.failcnt")
                + _counter(directory / "memory.oom_control", "oom_kill")
            )
            if memory_hits > 0:
                reached.add("memory")
        return reached

    def kill_all(self, deadline_s: float = 5.0) -> None:
        """SIGKILL every process in the group until none is left (or the deadline passes)."""
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            pids = {int(p) for path in self.procs for p in _lines(path)}
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

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


def _lines(path: Path) -> list[str]:
    try:
        return [line for line in path.read_text().split() if line]
    except OSError:
        return []


def _counter(path: Path, name: str) -> int:
    """The value of `name` in a "key value" events file (0 when absent)."""
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == name:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _number(path: Path) -> int:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return 0


# -- where runs' groups go ------------------------------------------------------------------------


def _own_groups() -> dict[str, str]:
    """This process's groups from /proc/self/cgroup: controller (or "" for v2) -> path."""
    out: dict[str, str] = {}
    for line in _read_lines(Path("/proc/self/cgroup")):
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            out[controller] = path
    return out


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except OSError:
        return []


def _writable(directory: Path) -> bool:
    return directory.is_dir() and os.access(directory, os.W_OK | os.X_OK)


def _is_v2() -> bool:
    return (ROOT / "cgroup.controllers").exists()


def _root_parents() -> tuple[tuple[Path, ...], int] | None:
    """As root: assay's own parent group under the hierarchy's root."""
    if _is_v2():
        if not {"memory", "pids"} <= set((ROOT / "cgroup.controllers").read_text().split()):
            return None
        parent = ROOT / PARENT
        parent.mkdir(exist_ok=True)
        (ROOT / "cgroup.subtree_control").write_text("+memory +pids")
        (parent / "cgroup.subtree_control").write_text("+memory +pids")
        return (parent,), 2
    memory, pids = ROOT / "memory", ROOT / "pids"
    if not (memory / "memory.limit_in_bytes").exists() or not (pids / "cgroup.procs").exists():
        return None
    for base in (memory, pids):
        (base / PARENT).mkdir(exist_ok=True)
    return (memory / PARENT, pids / PARENT), 1


def _delegated_parents() -> tuple[tuple[Path, ...], int] | None:
    """As a user: the groups this process runs in, where the user may make groups of its own."""
    own = _own_groups()
    if _is_v2():
        return _delegated_v2(ROOT / own.get("", "/").lstrip("/"))
    if "memory" not in own or "pids" not in own:
        return None
    memory = ROOT / "memory" / own["memory"].lstrip("/")
    pids = ROOT / "pids" / own["pids"].lstrip("/")
    if _writable(memory) and _writable(pids) and (memory / "memory.limit_in_bytes").exists():
        return (memory, pids), 1
    return None


def _delegated_v2(group: Path) -> tuple[tuple[Path, ...], int] | None:
    """A delegated v2 group: controllers can only be given to children of a group with no processes
    of its own, so this process first moves into a leaf (`assay-main`) beside the runs' groups."""
    if not _writable(group) or not {"memory", "pids"} <= set(_lines(group / "cgroup.controllers")):
        return None
    if not {"memory", "pids"} <= set(_lines(group / "cgroup.subtree_control")):
        main = group / "assay-main"
        main.mkdir(exist_ok=True)
        (main / "cgroup.procs").write_text(str(os.getpid()))
        (group / "cgroup.subtree_control").write_text("+memory +pids")
    return (group,), 2


@functools.cache
def parents() -> tuple[tuple[Path, ...], int] | None:
    """Where this process makes runs' groups, and the cgroup version; None when it cannot (checked once)."""
    try:
        return _root_parents() if os.getuid() == 0 else _delegated_parents()
    except OSError:
        return None  # a read-only hierarchy: no groups


def create(name: str, memory_bytes: int, processes: int) -> RunCgroup | None:
    """A fresh group for one run, or None where no group can be made here."""
    found = parents()
    if found is None:
        return None
    bases, version = found
    try:
        dirs = tuple(base / name for base in bases)
        for directory in dirs:
            directory.mkdir(exist_ok=True)
        group = RunCgroup(dirs, version)
        if version == 2:
            (dirs[0] / "memory.max").write_text(str(memory_bytes))
            if (dirs[0] / "memory.swap.max").exists():
                (dirs[0] / "memory.swap.max").write_text("0")
            (dirs[0] / "pids.max").write_text(str(processes))
            return group
        memory, pids = dirs
        (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
        with contextlib.suppress(OSError):  # only with swap accounting on
            (memory / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
        (pids / "pids.max").write_text(str(processes))
        return group
    except OSError:
        return None


def enter_command(group: RunCgroup) -> list[str]:
    """A shell prefix that moves itself into the group, then execs the rest of the command: every
    process the run starts is inside from its first instruction (no race with an early fork)."""
    writes = " && ".join(f'echo $$ > "${i + 1}"' for i in range(len(group.procs)))
    script = f'{writes} && shift {len(group.procs)} && exec "$@"'
    return ["/bin/sh", "-c", script, "sh", *map(str, group.procs)]
