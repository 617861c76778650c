"""Tests that need the machine to themselves, when pytest-xdist runs the suite in several workers.

Most tests share the host happily, but a few judge it whole: the sandbox tests count every process
under the sandbox's uids and run fork bombs and memory hogs, the Ray cluster tests start (and
`ray stop --force`) the machine's only cluster. Those carry the `exclusive` mark and hold a
write lock on a file shared by the run's workers; every other test holds a read lock. A turnstile
lock in front keeps readers from starving a waiting writer: a writer holds the turnstile while it
waits, so no new reader gets in behind it.
"""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _lock_paths(test_run: str | None) -> tuple[Path, Path] | None:
    if not test_run:
        return None  # one process runs every test: nothing to share
    base = Path(tempfile.gettempdir()) / f"assay-tests-{test_run}"
    return base.with_suffix(".turnstile"), base.with_suffix(".host")


@contextmanager
def host_share(test_run: str | None, exclusive: bool) -> Iterator[None]:
    """`test_run`: the xdist run's id when this process is one of its workers, else None. (Not read
    from the environment: a pytest started by a test, e.g. as another user, inherits it.)"""
    paths = _lock_paths(test_run)
    if paths is None:
        yield
        return
    turnstile_path, host_path = paths
    with open(turnstile_path, "a") as turnstile, open(host_path, "a") as host:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(host, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        finally:
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(host, fcntl.LOCK_UN)
