"""Running as an unprivileged user, with or without a cgroup delegated to it (shared by the sandbox's
as-user tests and bench/sandbox_throughput.py). Needs root: it switches users and makes groups."""

from __future__ import annotations

import contextlib
import os
import pwd
import sysconfig
from collections.abc import Iterator
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")
CHECKOUT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def delegated_groups(user: str) -> Iterator[list[Path]]:
    """Groups owned by `user` (memory and pids on cgroup v1, one on v2), as systemd's Delegate=yes
    would give them, for the user's process to start in; removed, with their children, on exit."""
    name = f"assay-delegated-{os.getpid()}"
    if (CGROUP / "cgroup.controllers").exists():
        dirs = [CGROUP / name]
    else:
        dirs = [CGROUP / "memory" / name, CGROUP / "pids" / name]
    uid = pwd.getpwnam(user).pw_uid
    for directory in dirs:
        directory.mkdir()
        for path in (
            directory,
            *(directory / f for f in ("cgroup.procs", "tasks", "cgroup.subtree_control")),
        ):
            if path.exists():
                os.chown(path, uid, -1)
    try:
        yield dirs
    finally:
        for directory in dirs:
            for child in sorted(directory.glob("**/"), key=lambda p: -len(p.parts)):
                with contextlib.suppress(OSError):
                    child.rmdir()


def as_user(user: str, command: list[str], *, groups: list[Path], home: str) -> list[str]:
    """`command` run as `user` with the system Python's view of this checkout (src and this
    environment's packages, readable by everyone, on PYTHONPATH), started inside `groups`."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "PYTHONPATH": f"{CHECKOUT / 'src'}:{sysconfig.get_paths()['purelib']}",
        "ASSAY_REQUIRE_SANDBOX": "1",
    }
    switched = ["runuser", "-u", user, "--", "env", *(f"{k}={v}" for k, v in env.items()), *command]
    if not groups:
        return switched
    joins = " && ".join(f'echo $$ > "{g / "cgroup.procs"}"' for g in groups)
    return ["/bin/sh", "-c", f'{joins} && exec "$@"', "sh", *switched]
