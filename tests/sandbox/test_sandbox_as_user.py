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
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
USER = "assay-sandbox-tester"
CGROUP = Path("/sys/fs/cgroup")

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="making a user and delegating a cgroup need root")


@pytest.fixture(scope="module")
def tester() -> str:
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER], check=True
        )
    return USER


@contextlib.contextmanager
def delegated_groups(user: str) -> Iterator[list[Path]]:
    """Groups owned by the user (memory and pids on cgroup v1, one on v2) for its process to start in."""
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


def run_tests_as(user: str, groups: list[Path], home: Path) -> subprocess.CompletedProcess[str]:
    site = sysconfig.get_paths()["purelib"]  # this environment's packages, readable by everyone
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "PYTHONPATH": f"{CHECKOUT / 'src'}:{site}",
        "ASSAY_REQUIRE_SANDBOX": "1",
    }
    suites = [str(CHECKOUT / "tests/sandbox" / name) for name in ("test_sandbox.py", "test_host_failures.py")]
    pytest_args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *suites]
    variables = [f"{k}={v}" for k, v in env.items()]
    as_user = ["runuser", "-u", user, "--", "env", *variables, "/usr/bin/python3", *pytest_args]
    if groups:  # start inside the delegated groups, as a delegated systemd scope would
        joins = " && ".join(f'echo $$ > "{g / "cgroup.procs"}"' for g in groups)
        as_user = ["/bin/sh", "-c", f'{joins} && exec "$@"', "sh", *as_user]
    return subprocess.run(as_user, capture_output=True, text=True, timeout=1200, cwd=home)


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
    site = sysconfig.get_paths()["purelib"]
    probe = "from assay.sandbox import isolation; print(isolation())"
    env = [f"PYTHONPATH={CHECKOUT / 'src'}:{site}", "HOME=/tmp", "PATH=/usr/bin:/bin"]
    plain = subprocess.run(
        ["runuser", "-u", tester, "--", "env", *env, "/usr/bin/python3", "-c", probe],
        capture_output=True, text=True, timeout=120, cwd="/tmp",
    )  # fmt: skip
    assert plain.returncode == 0, plain.stderr
    assert "one at a time" in plain.stdout
    with delegated_groups(tester) as groups:
        joins = " && ".join(f'echo $$ > "{g / "cgroup.procs"}"' for g in groups)
        inside = subprocess.run(
            ["/bin/sh", "-c", f'{joins} && exec "$@"', "sh", "runuser", "-u", tester, "--", "env", *env,
             "/usr/bin/python3", "-c", probe],
            capture_output=True, text=True, timeout=120, cwd="/tmp",
        )  # fmt: skip
    assert inside.returncode == 0, inside.stderr
    assert "budgets per run" in inside.stdout and "delegated" in inside.stdout
