"""The sandbox against hostile programs: each escape attempt must end failed or timed out, with the host
untouched. A program "passes" only if its attack worked, so a weakened sandbox turns these tests red.

Runs wherever bubblewrap works; CI sets ASSAY_REQUIRE_SANDBOX=1 so a missing sandbox fails loudly.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.core.errors import SandboxError
from assay.sandbox import Limits, cgroups, run_many, run_python, sandbox_problem
from assay.sandbox import launch as sandbox_launch
from assay.sandbox import runner as sandbox_runner
from assay.sandbox import uids as sandbox_uids
from sandbox_programs import SIX_CHILDREN_OF_200MB

# Fork bombs, memory hogs and a census of the sandbox's processes: run alone (tests/host_share.py).
pytestmark = pytest.mark.exclusive

PROBLEM = sandbox_problem()
if PROBLEM and not os.environ.get("ASSAY_REQUIRE_SANDBOX"):
    pytest.skip(f"sandbox unavailable here: {PROBLEM}", allow_module_level=True)

FAST = Limits(cpu_seconds=3, wall_seconds=8, memory_mb=256, processes=8, file_size_mb=4, tmpfs_mb=16)


@pytest.fixture
def host_dir() -> Iterator[Path]:
    """A world-writable host directory on a world-reachable path: only the sandbox's mount isolation
    keeps the program out of it (pytest's own tmp dirs are private to root, which would hide a leak)."""
    target = Path(tempfile.mkdtemp(prefix="assay-host-", dir="/tmp"))
    target.chmod(0o777)
    yield target
    shutil.rmtree(target, ignore_errors=True)


def _succeeded_if(check: str) -> str:
    return f"import os, sys\nsys.exit(0 if {check} else 1)\n"


SHELL_ESCAPES = {
    "os.system": "import os\nos.system('touch {mark}')\n",
    "posix.system": "import posix\nposix.system('touch {mark}')\n",
    "importlib.reload(os)": "import importlib, os\nos = importlib.reload(os)\nos.system('touch {mark}')\n",
    "ctypes libc system": "import ctypes\nctypes.CDLL(None).system(b'touch {mark}')\n",
    "os.posix_spawn": (
        "import os\npid = os.posix_spawn('/bin/sh', ['sh', '-c', 'touch {mark}'], {{}})\nos.waitpid(pid, 0)\n"
    ),
    "_posixsubprocess": (
        "import subprocess\nsubprocess.run(['sh', '-c', 'touch {mark}'])  # fork_exec underneath\n"
    ),
}


@pytest.mark.parametrize("attack", sorted(SHELL_ESCAPES))
def test_shell_escapes_cannot_reach_the_host(attack: str, host_dir: Path) -> None:
    mark = host_dir / f"pwned-{uuid.uuid4().hex}"
    code = SHELL_ESCAPES[attack].format(mark=mark) + _succeeded_if(f"os.path.exists({str(mark)!r})")
    outcome = run_python(code, limits=FAST)
    assert outcome.sandboxed
    assert outcome.status == "failed", outcome
    assert not mark.exists()


def test_the_escape_checks_have_teeth_without_the_sandbox(host_dir: Path) -> None:
    """The same attack run unsandboxed does reach the host: the tests above would catch a leak."""
    mark = host_dir / "pwned"
    code = SHELL_ESCAPES["os.system"].format(mark=mark) + _succeeded_if(f"os.path.exists({str(mark)!r})")
    outcome = sandbox_launch.launch(code, {}, FAST, sandboxed=False)
    assert not outcome.sandboxed and outcome.status == "passed" and mark.exists()


def _sandbox_processes() -> list[int]:
    """Live (non-zombie) processes of the uids the sandbox runs programs as."""
    return [p for uid in sandbox_uids.UID_RANGE for p in sandbox_runner.live_processes(uid)]


def test_fork_bomb_is_contained_and_leaves_no_process() -> None:
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    limits = Limits(cpu_seconds=2, wall_seconds=3, memory_mb=256, processes=8, file_size_mb=4, tmpfs_mb=16)
    outcome = run_python(code, limits=limits)  # it never stops by itself: the wall clock ends it
    assert outcome.status in ("failed", "timeout")
    assert outcome.duration_s < limits.wall_seconds + 5
    if os.getuid() == 0:  # the sandbox ran under its reserved uids: nothing of it may survive
        assert not _sandbox_processes()


def test_memory_is_bounded_per_run_not_only_per_process() -> None:
    """Six processes of 200 MB each fit under a 256 MB per-process limit but not in the run's budget."""
    from assay.sandbox import cgroups

    probe = cgroups.create("probe", 2**30, 8)
    if probe is None:
        pytest.skip("no usable cgroup hierarchy here (not root, or none mounted)")
    probe.remove()
    code = SIX_CHILDREN_OF_200MB
    limits = Limits(cpu_seconds=5, wall_seconds=15, memory_mb=256, processes=16, tmpfs_mb=16)
    assert run_python(code, limits=limits).status == "failed"
    # the same program with room for all six passes: the budget, not the program, made it fail
    roomy = Limits(cpu_seconds=5, wall_seconds=15, memory_mb=1600, processes=16, tmpfs_mb=16)
    assert run_python(code, limits=roomy).status == "passed"


def test_a_program_pretending_to_be_the_sandbox_only_fails_itself() -> None:
    code = "import sys\nsys.stderr.write('bwrap: Creating new namespace failed\\n')\nsys.exit(1)\n"
    outcome = run_python(code, limits=FAST)
    assert outcome.status == "failed" and outcome.stderr.startswith("bwrap:")


def test_a_sandbox_that_cannot_start_is_an_error_not_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    real = sandbox_launch._bwrap_command
    monkeypatch.setattr(
        sandbox_launch, "_bwrap_command", lambda *a: [real(*a)[0], "--no-such-option", *real(*a)[1:]]
    )
    with pytest.raises(SandboxError, match="could not start"):
        run_python("print(1)", limits=FAST)


def test_memory_bomb_fails() -> None:
    code = "blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 2**20))\n"
    outcome = run_python(code, limits=FAST)
    assert outcome.status == "failed" and "MemoryError" in outcome.stderr


def test_disk_fill_stops_at_the_limits(tmp_path: Path) -> None:
    code = (
        "import os, sys\nwritten = 0\n"
        "for target in ('/sandbox/fill', '/tmp/fill'):\n"
        "    try:\n"
        "        with open(target, 'wb') as f:\n"
        "            while written < 2**30:\n"
        "                f.write(b'x' * 2**20); written += 2**20\n"
        "    except OSError:\n        pass\n"
        "sys.exit(0 if written >= 2**30 else 1)\n"
    )
    outcome = run_python(code, limits=FAST)
    assert outcome.status == "failed"


def test_writable_space_is_only_the_small_tmpfs_mounts() -> None:
    """Many files of the per-file size limit: the root and /dev are read-only, /dev/shm is as small as
    /tmp, so a run cannot fill the host's memory through tmpfs."""
    code = (
        "import os, sys\nwritten = 0\n"
        "for base in ('/', '/dev', '/dev/shm', '/tmp', '/sandbox'):\n"
        "    for i in range(64):\n"
        "        try:\n"
        "            with open(os.path.join(base, f'f{i}'), 'wb') as f:\n"
        "                f.write(b'x' * 2**20); written += 2**20\n"
        "        except OSError:\n            break\n"
        "print(written // 2**20)\n"
        "sys.exit(0 if written > 3 * 16 * 2**20 else 1)\n"
    )
    outcome = run_python(code, limits=FAST)
    assert outcome.status == "failed"
    assert int(outcome.stdout.split()[-1]) <= 3 * FAST.tmpfs_mb


def test_no_nested_namespaces() -> None:
    code = "import os, sys\nsys.exit(os.system('unshare -Urm true') >> 8)\n"
    assert run_python(code, limits=FAST).status == "failed"


def test_writes_outside_the_work_dir_do_not_land(host_dir: Path) -> None:
    targets = [
        host_dir / "out.txt",
        Path("/usr/assay-pwned"),
        Path.home() / f"assay-pwned-{uuid.uuid4().hex}",
    ]
    code = "import sys\nok = 0\n"
    for target in targets:
        code += f"try:\n    open({str(target)!r}, 'w').write('x'); ok += 1\nexcept OSError:\n    pass\n"
    code += "sys.exit(0 if ok else 1)\n"
    outcome = run_python(code, limits=FAST)
    assert outcome.status == "failed"
    assert not any(t.exists() for t in targets)


def test_secrets_outside_the_mounts_cannot_be_read(host_dir: Path) -> None:
    secret = f"secret-{uuid.uuid4().hex}"
    planted = [Path.home() / f".assay-test-secret-{uuid.uuid4().hex}", host_dir / "secret.txt"]
    for path in planted:
        path.write_text(secret)
        path.chmod(0o644)
    try:
        code = "import sys\nfound = ''\n"
        for path in planted:
            code += f"try:\n    found += open({str(path)!r}).read()\nexcept OSError:\n    pass\n"
        code += "print(found)\nsys.exit(0 if found else 1)\n"
        outcome = run_python(code, limits=FAST)
        assert outcome.status == "failed" and secret not in outcome.stdout
    finally:
        for path in planted:
            path.unlink()


def test_no_network_even_to_loopback() -> None:
    # The kernel completes a TCP handshake into the listen backlog without accept(): after the
    # program ends, a connection that got through is waiting there.
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        code = (
            "import socket\n"
            f"s = socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
            "s.sendall(b'pwned')\n"
        )
        outcome = run_python(code, limits=FAST)
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.accept()
    assert outcome.status == "failed"
    assert "ConnectionRefused" in outcome.stderr or "unreachable" in outcome.stderr.lower(), outcome.stderr


def test_sleeping_forever_times_out_with_its_children() -> None:
    limits = Limits(cpu_seconds=3, wall_seconds=2, memory_mb=256, processes=8)
    code = "import os, time\nif os.fork() == 0:\n    time.sleep(10**6)\ntime.sleep(10**6)\n"
    outcome = run_python(code, limits=limits)
    assert outcome.status == "timeout" and outcome.returncode is None
    assert limits.wall_seconds <= outcome.duration_s < limits.wall_seconds + 5
    if os.getuid() == 0:
        assert not _sandbox_processes()


def test_printing_gigabytes_is_cut_off() -> None:
    code = "import sys\nwhile True:\n    sys.stdout.write('x' * 2**20)\n"
    outcome = run_python(code, limits=FAST)
    assert outcome.status == "failed"
    assert len(outcome.stdout) <= FAST.output_chars


def test_killing_its_parent_harms_nobody() -> None:
    code = (
        "import os, signal, time\n"
        "for pid in (os.getppid(), 1):\n"
        "    try:\n        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass\n"
        "time.sleep(0.5)\n"
        f"os.kill({os.getpid()}, signal.SIGKILL)  # the host's pid: not visible in the sandbox\n"
    )
    outcome = run_python(code, limits=FAST)
    assert outcome.status in ("failed", "timeout")
    # We are still here, and the sandbox still runs the next program.
    assert run_python("print(2 + 2)", limits=FAST).stdout.strip() == "4"


def test_a_batch_survives_its_hostile_members() -> None:
    programs = [
        "print('first')",
        "import time\ntime.sleep(10**6)",
        "import os\nos.kill(os.getpid(), 9)",
        "raise SystemExit(3)",
        "print('last')",
    ]
    limits = Limits(cpu_seconds=2, wall_seconds=2, memory_mb=256, processes=8)
    outcomes = run_many(programs, limits=limits, workers=2)
    assert [o.status for o in outcomes] == ["passed", "timeout", "failed", "failed", "passed"]
    assert outcomes[0].stdout.strip() == "first" and outcomes[-1].stdout.strip() == "last"
    assert outcomes[3].returncode == 3


def test_files_are_mounted_read_only_next_to_the_program() -> None:
    code = (
        "import sys\nprint(open('data.txt').read())\n"
        "try:\n    open('data.txt', 'w')\nexcept OSError:\n    sys.exit(0)\nsys.exit(1)\n"
    )
    outcome = run_python(code, files={"data.txt": "hello"}, limits=FAST)
    assert outcome.status == "passed" and outcome.stdout.strip() == "hello"
    with pytest.raises(SandboxError, match="plain names"):
        run_python("pass", files={"../escape.py": "x"}, limits=FAST)


def test_refuses_without_bubblewrap_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(sandbox_runner, "_CHECKED", {})
    with pytest.raises(SandboxError, match="--unsafe-no-sandbox"):
        run_python("print(1)")
    outcome = run_python("print(1)", unsafe_no_sandbox=True, limits=FAST)
    assert outcome.status == "passed" and not outcome.sandboxed


def test_runs_in_two_processes_never_share_a_uid() -> None:
    """Another assay process's quick runs end (and kill their uid's processes) while a long program
    of this process is still running: it must be left alone."""
    import subprocess
    import sys

    other = subprocess.Popen(
        [sys.executable, "-c",
         "from assay.sandbox import Limits, run_python\n"
         "o = run_python('import time\\ntime.sleep(3)\\nprint(7)', limits=Limits(wall_seconds=15))\n"
         "print(o.status, o.stdout.strip())"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(1.0)
    quick = run_many(["print(1)"] * 6, limits=FAST, workers=2)
    assert [o.status for o in quick] == ["passed"] * 6
    out, _ = other.communicate(timeout=60)
    assert out.split() == ["passed", "7"]


def test_a_failed_start_leaks_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    def no_such_tool(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError(2, "No such file or directory", "prlimit")

    fds_before = len(os.listdir("/proc/self/fd"))
    monkeypatch.setattr(subprocess, "Popen", no_such_tool)
    for _ in range(5):
        with pytest.raises(SandboxError, match="could not start the sandbox"):
            run_python("print(1)", limits=FAST)
    assert len(os.listdir("/proc/self/fd")) == fds_before
    found = cgroups.parents()
    for hierarchy in found[0] if found else ():  # root's own parents, or the user's delegated group
        assert not [d for d in hierarchy.iterdir() if d.is_dir() and d.name.startswith("run-")]


def _honest(n: int) -> str:
    """A well-behaved program that forks two helpers (so a neighbour's fork bomb would hurt it)."""
    return (
        "import os, sys\nkids = []\n"
        "for i in range(2):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n        os._exit(0)\n"
        "    kids.append(pid)\n"
        "ok = all(os.waitpid(k, 0)[1] == 0 for k in kids)\n"
        f"print({n} * {n} if ok else 'fork failed')\n"
    )


FORK_BOMB = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
# Twelve children holding 800 MB each: 9.6 GB if nothing but per-process limits stood in its way.
MEMORY_HOG = (
    "import os, time\n"
    "for _ in range(12):\n"
    "    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
    "    if pid == 0:\n"
    "        try:\n            block = b'x' * (800 * 2**20)\n            time.sleep(6)\n"
    "        finally:\n            os._exit(0)\n"
    "time.sleep(6)\n"
)


def _mem_available() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no MemAvailable in /proc/meminfo")


def test_neighbours_a_fork_bomb_and_a_memory_hog_change_no_honest_outcome() -> None:
    """Eight honest programs beside a fork bomb and a memory hog, all at once: every honest outcome is
    what it is alone, and the host's memory use stays far below what the hog asked for."""
    limits = Limits(cpu_seconds=4, wall_seconds=12, memory_mb=1024, processes=16, tmpfs_mb=16)
    programs = [FORK_BOMB, MEMORY_HOG, *(_honest(n) for n in range(8))]
    baseline, lowest = _mem_available(), [_mem_available()]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            lowest.append(_mem_available())
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        outcomes = run_many(programs, limits=limits, workers=len(programs))
    finally:
        done.set()
        watcher.join(5)
    honest = outcomes[2:]
    assert [o.status for o in honest] == ["passed"] * 8, [o.error_line for o in honest]
    assert [o.stdout.strip() for o in honest] == [str(n * n) for n in range(8)]
    # A run's budget (or, one program at a time, its process cap) bounds the hog far below 9.6 GB.
    assert baseline - min(lowest) < 5 * 2**30, (
        f"host memory fell by {(baseline - min(lowest)) / 2**30:.1f} GB"
    )
