"""The sandbox's tests again, as a real unprivileged user: most users do not run assay as root.

The test setup (root, as CI runs) makes a system user and runs tests/sandbox/test_sandbox.py and
test_host_failures.py as that user with the system Python and this checkout (its installed
dependencies on the path), twice:
- with a cgroup delegated to the user (what `systemd-run --user --scope -p Delegate=yes` gives on a
  desktop; here root makes and chowns the groups and starts the user's process inside them): every
  run gets its own memory and process budget;
- without one: runs go one at a time, each with a small process cap.
Both must pass every hostile-program test and the neighbours test.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from delegation import CHECKOUT, as_user, delegated_groups

USER = "assay-sandbox-tester"

pytestmark = [
    pytest.mark.skipif(os.getuid() != 0, reason="making a user and delegating a cgroup need root"),
    pytest.mark.exclusive,
]


@pytest.fixture(scope="module")
def tester() -> str:
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER], check=True
        )
    return USER


def run_tests_as(user: str, groups: list[Path], home: Path) -> subprocess.CompletedProcess[str]:
    suites = [str(CHECKOUT / "tests/sandbox" / name) for name in ("test_sandbox.py", "test_host_failures.py")]
    # -n0: one process; the outer run already holds the machine for this test
    pytest_args = ["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n0", "-x", *suites]
    command = as_user(user, pytest_args, groups=groups, home=str(home))
    return subprocess.run(command, capture_output=True, text=True, timeout=1200, cwd=home)


@pytest.mark.parametrize("delegated", [True, False], ids=["delegated-cgroup", "one-at-a-time"])
def test_the_sandbox_tests_pass_as_an_unprivileged_user(tester: str, delegated: bool) -> None:
    if not Path("/usr/bin/python3").exists():
        pytest.fail("the system Python /usr/bin/python3 is missing")
    home = Path(tempfile.mkdtemp(prefix="assay-tester-home-"))
    shutil.chown(home, tester)
    try:
        with delegated_groups(tester) if delegated else contextlib.nullcontext([]) as groups:
            proc = run_tests_as(tester, list(groups), home)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    report = proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, report
    assert " passed" in proc.stdout and "failed" not in proc.stdout.splitlines()[-1], report


def test_the_user_sees_which_guarantees_hold(tester: str) -> None:
    """What the run record says: a delegated group gives per-run budgets; without one, one at a time."""
    probe = ["/usr/bin/python3", "-c", "from assay.sandbox import isolation; print(isolation())"]

    def isolation_inside(groups: list[Path]) -> str:
        done = subprocess.run(
            as_user(tester, probe, groups=groups, home="/tmp"),
            capture_output=True, text=True, timeout=120, cwd="/tmp",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "one at a time" in isolation_inside([])
    with delegated_groups(tester) as groups:
        inside = isolation_inside(groups)
    assert "budgets per run" in inside and "delegated" in inside
