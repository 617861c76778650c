"""Run untrusted Python (model-written code) inside bubblewrap, as an unprivileged user, with limits.

Safe by construction rather than by patching Python: the program sees a read-only /usr (the system
Python and its standard library), its own files on a small tmpfs, a private /proc, and nothing
else of the host's filesystem; every namespace is unshared (no network, no host processes); the
process runs as an unprivileged uid (as root the process limit would not apply) with CPU, memory,
process, file-size and open-file limits and no core dumps; a wall-clock deadline kills the whole
process group; output is capped by the file-size limit and read back truncated.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from assay.core.errors import SandboxError
from assay.sandbox import cgroups

Status = Literal["passed", "failed", "timeout"]
SYSTEM_PYTHON = "/usr/bin/python3"
_UIDS = itertools.cycle(range(61000, 61999))  # one uid per run: process limits are per uid
_UID_LOCK = threading.Lock()
_CHECKED: dict[str, str | None] = {}


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

    @property
    def error_line(self) -> str:
        """The last line of stderr (the exception), for per-problem reports."""
        lines = [line for line in self.stderr.strip().splitlines() if line.strip()]
        return lines[-1][:300] if lines else ("timed out" if self.status == "timeout" else "")


def sandbox_problem() -> str | None:
    """None when bubblewrap works here for an unprivileged uid, else why not (checked once)."""
    if "bwrap" not in _CHECKED:
        _CHECKED["bwrap"] = _probe()
    return _CHECKED["bwrap"]


def _probe() -> str | None:
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed (Debian: apt install bubblewrap)"
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} is missing; the sandbox runs the system Python"
    try:
        out = _launch("print('ok')", {}, Limits(wall_seconds=30), sandboxed=True)
    except OSError as exc:
        return f"bubblewrap could not start: {exc}"
    if out.status != "passed" or out.stdout.strip() != "ok":
        return f"bubblewrap could not run a program (user namespaces disabled?): {out.error_line}"
    return None


def run_python(
    code: str,
    *,
    files: dict[str, str] | None = None,
    limits: Limits | None = None,
    unsafe_no_sandbox: bool = False,
) -> Outcome:
    """Run `code` as main.py next to `files`; passed = exit status 0 within the limits.

    Refuses (SandboxError) when the sandbox cannot work here, unless `unsafe_no_sandbox` is given;
    then the code runs with the same limits but without isolation, and the outcome says so."""
    problem = sandbox_problem()
    if problem and not unsafe_no_sandbox:
        raise SandboxError(
            f"refusing to run model-written code: {problem}; pass --unsafe-no-sandbox to run "
            "it without isolation (not recommended)"
        )
    return _launch(code, files or {}, limits or Limits(), sandboxed=problem is None)


def _bwrap_command(work: Path, limits: Limits, info_fd: int) -> list[str]:
    cmd = [
        "bwrap",
        "--info-fd",  # bwrap writes here once the sandbox is up: silence means it never started
        str(info_fd),
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",  # no nested namespaces: no fresh tmpfs mounts, less kernel surface
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/usr",
        "/usr",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(limits.tmpfs_mb * 2**20),
        "--tmpfs",
        "/sandbox",
        "--size",
        str(limits.tmpfs_mb * 2**20),
        "--tmpfs",
        "/tmp",
    ]
    for name in ("lib", "lib64", "bin", "sbin"):
        if Path(f"/usr/{name}").is_dir():
            cmd += ["--symlink", f"usr/{name}", f"/{name}"]
    for item in sorted(work.iterdir()):
        cmd += ["--ro-bind", str(item), f"/sandbox/{item.name}"]
    cmd += [
        # Shared memory gets its own small tmpfs; then the root and /dev become read-only, so the only
        # writable places are the sized tmpfs mounts (/sandbox, /tmp, /dev/shm).
        "--size",
        str(limits.tmpfs_mb * 2**20),
        "--tmpfs",
        "/dev/shm",
        "--remount-ro",
        "/dev",
        "--remount-ro",
        "/",
        "--chdir",
        "/sandbox",
        "--clearenv",
        "--setenv",
        "PATH",
        "/usr/bin:/bin",
        "--setenv",
        "HOME",
        "/sandbox",
        "--setenv",
        "PYTHONDONTWRITEBYTECODE",
        "1",
        SYSTEM_PYTHON,
        "-I",
        "-B",
        "main.py",
    ]
    return cmd


def _prlimit(limits: Limits, uid: int | None) -> list[str]:
    """Hard resource limits set by util-linux's prlimit before it execs the sandbox (no preexec_fn,
    which is unsafe in a threaded process). The process limit counts every task of the uid: a run
    with a uid of its own gets `processes`; otherwise the user's current tasks plus `processes`."""
    mb = 2**20
    nproc = limits.processes if uid is not None else _tasks_of(os.getuid()) + limits.processes
    values = {
        "cpu": limits.cpu_seconds,
        "as": limits.memory_mb * mb,
        "nproc": nproc,
        "fsize": limits.file_size_mb * mb,
        "nofile": limits.open_files,
        "core": 0,
    }
    return ["prlimit", *(f"--{name}={value}:{value}" for name, value in values.items()), "--"]


def _tasks_of(uid: int) -> int:
    """Processes and threads owned by `uid` (what RLIMIT_NPROC counts)."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return count


def _started(info_read: int) -> bool:
    """Whether bubblewrap reported the sandbox up (it writes JSON with the child's pid)."""
    os.set_blocking(info_read, False)
    try:
        return bool(os.read(info_read, 4096))
    except BlockingIOError:
        return False  # a writer still open (cannot be after the kill) and nothing written
    finally:
        os.close(info_read)


def _run_memory(limits: Limits) -> int:
    """The whole run's memory: the program's budget plus its three tmpfs mounts (charged to it too)."""
    return (limits.memory_mb + 3 * limits.tmpfs_mb) * 2**20


def _command(
    work: Path, limits: Limits, uid: int | None, group: cgroups.RunCgroup | None, info_fd: int | None
) -> tuple[list[str], int | None]:
    """The command line, and the uid Popen itself must switch to (None when the command does it).

    With a cgroup: a root shell joins it, setpriv drops to the run's uid, prlimit sets the limits,
    then bubblewrap; without: Popen switches the uid and prlimit comes first."""
    unboxed = [SYSTEM_PYTHON, "-I", "-B", str(work / "main.py")]
    program = unboxed if info_fd is None else _bwrap_command(work, limits, info_fd)
    limited = [*_prlimit(limits, uid), *program]
    if group is None or uid is None:
        return limited, uid
    drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    return [*cgroups.enter_command(group), *drop, *limited], None


def _launch(code: str, files: dict[str, str], limits: Limits, *, sandboxed: bool) -> Outcome:
    with _UID_LOCK:
        uid = next(_UIDS)
    with tempfile.TemporaryDirectory(prefix="assay-sandbox-") as tmp:
        root = Path(tmp)
        work = root / "files"
        work.mkdir()
        for name, text in {**files, "main.py": code}.items():
            if "/" in name or name.startswith("."):
                raise SandboxError(f"sandbox file names must be plain names, not {name!r}")
            (work / name).write_text(text, encoding="utf-8")
        # Readable by the run's uid only (its group), not by every local user.
        gid = uid if os.getuid() == 0 else os.getgid()
        for path in (root, work, *work.iterdir()):
            os.chown(path, -1, gid)
            os.chmod(path, 0o750 if path.is_dir() else 0o640)
        own_uid = uid if os.getuid() == 0 else None
        group = cgroups.create(f"run-{uid}", _run_memory(limits), limits.processes) if own_uid else None
        info_read, info_write = os.pipe() if sandboxed else (None, None)
        cmd, switch_uid = _command(work, limits, own_uid, group, info_write)

        out_path, err_path = root / "stdout", root / "stderr"
        started = time.perf_counter()
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                cwd=work,
                start_new_session=True,
                env={"PATH": "/usr/bin:/bin"},
                pass_fds=() if info_write is None else (info_write,),
                user=switch_uid,  # None: stay this user (not root), or setpriv switches after the cgroup
                group=switch_uid,
                extra_groups=None if switch_uid is None else [],
            )
            if info_write is not None:
                os.close(info_write)  # the child holds its copy; EOF once every holder is gone
            status: Status
            try:
                code_ = proc.wait(timeout=limits.wall_seconds)
                status = "passed" if code_ == 0 else "failed"
            except subprocess.TimeoutExpired:
                status, code_ = "timeout", None
            finally:
                _kill_group(proc, uid)
                if group is not None:
                    group.remove()
        stderr = _read(err_path, limits)
        if info_read is not None and not _started(info_read):
            # The sandbox itself failed to start: not the program's failure, and not to be scored.
            first = stderr.strip().splitlines()[0] if stderr.strip() else f"exit status {code_}"
            raise SandboxError(f"the sandbox could not start: {first}")
        return Outcome(
            status=status,
            returncode=code_,
            stdout=_read(out_path, limits),
            stderr=stderr,
            duration_s=time.perf_counter() - started,
            sandboxed=sandboxed,
        )


def _kill_group(proc: subprocess.Popen[bytes], uid: int) -> None:
    """Kill bwrap's group; its death tears the sandbox's pid namespace down, but asynchronously, so
    (as root, where the run has a uid of its own) also kill and wait out every process of that uid:
    when this returns, nothing the program started is still running."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    if os.getuid() != 0:
        return
    deadline = time.monotonic() + 5.0
    while (alive := live_processes(uid)) and time.monotonic() < deadline:
        for pid in alive:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


def live_processes(uid: int) -> list[int]:
    """Pids owned by `uid` that are not zombies (a zombie holds no resources and cannot act)."""
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if state != b"Z":
            pids.append(int(entry.name))
    return pids


def _read(path: Path, limits: Limits) -> str:
    """At most `output_chars` of a stream: all of it, or its head and its tail (the last lines carry
    the exception and the pass marker)."""
    keep = limits.output_chars
    size = path.stat().st_size
    with path.open("rb") as handle:
        if size <= keep * 4:
            return handle.read().decode("utf-8", errors="replace")[-keep:] if size else ""
        head = handle.read(keep * 2).decode("utf-8", errors="replace")[: keep // 2]
        handle.seek(size - keep * 2)
        tail = handle.read().decode("utf-8", errors="replace")[-(keep - keep // 2 - 5) :]
    return f"{head}\n...\n{tail}"
