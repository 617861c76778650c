"""A uid per sandboxed run, reserved across every assay process on the machine.

Process limits, the final kill (every process of the uid) and file access all key on the uid, so two
runs, in one process or in two (a web server next to a CLI run, Ray workers), must never share one.
An exclusive flock per uid, held for the run, is the reservation; the kernel drops it if the process
dies. The range sits above Debian's UID_MAX for people (60000) and below systemd's DynamicUser range
(61184-65519), so the final kill can never hit a user's or a service's processes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
from collections.abc import Iterator
from pathlib import Path

from assay.core.errors import SandboxError

UID_RANGE = range(60100, 61100)
LOCK_DIR = Path("/run/assay-sandbox")


@contextlib.contextmanager
def reserved_uid() -> Iterator[int]:
    """A uid of its own while the block runs (as root); without root the run keeps the user's uid."""
    if os.getuid() != 0:
        yield os.getuid()
        return
    LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
    start = random.randrange(len(UID_RANGE))
    for step in range(len(UID_RANGE)):
        uid = UID_RANGE[(start + step) % len(UID_RANGE)]
        fd = os.open(LOCK_DIR / f"{uid}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield uid
        finally:
            os.close(fd)  # releases the lock
        return
    raise SandboxError(f"all {len(UID_RANGE)} sandbox uids are in use; run fewer programs at once")
