"""Starting one program: files on disk, the command line (cgroup, uid, limits, bubblewrap), the wait,
the kill, and the outputs. See runner.py for what the sandbox guarantees."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import itertools
import os
import select
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from assay.core.errors import SandboxError
from assay.sandbox import cgroups, host, uids
from assay.sandbox.records import Limits, Outcome, Status

SYSTEM_PYTHON = "/usr/bin/python3"
SANDBOX_TASKS = 3  # bubblewrap's monitor and init, and the launcher: not the program's to spend
# Runs first inside the sandbox: it caps the processes of the sandbox's own user namespace, reports
# "Python is up" on an inherited pipe, then runs main.py as __main__. No report means bubblewrap or the
# interpreter failed: the sandbox's fault, not the program's. The kernel counts RLIMIT_NPROC per user
# namespace as well as per uid: set inside, the cap counts this run's tasks only, never the user's
# other processes (whose number changes while the run starts: threads come and go).
# It runs main.py with compile and exec, as `runpy.run_path` would for a file (sys.path untouched)
# without importing runpy's machinery: 16 ms of every run.
LAUNCHER = (
    "import os, resource, sys; fd, cap = int(sys.argv[1]), int(sys.argv[2]); "
    "resource.setrlimit(resource.RLIMIT_NPROC, (cap, cap)); os.write(fd, b'1'); os.close(fd); "
    "sys.argv = ['main.py']; source = open('/sandbox/main.py', 'rb').read(); "
    "exec(compile(source, 'main.py', 'exec'), {'__name__': '__main__', '__file__': 'main.py', "
    "'__builtins__': __builtins__})"
)


# Without a group of its own, a run's memory is bounded only by RLIMIT_AS per process times its
# processes: runs then go one at a time, with at most this many processes each.
SERIAL_PROCESSES = 4
_RUNS = itertools.count()


def launch(
    code: str, files: dict[str, str], limits: Limits, *, sandboxed: bool, workdir: Path | None = None
) -> Outcome:
    """Run `code` as main.py next to `files`; every resource (uid, temp dir, cgroup, lock, pipe) is
    released on every path, including a failure to start. `workdir`, a host directory, is bound
    read-write at /sandbox/work and is the program's working directory."""
    with contextlib.ExitStack() as stack:
        uid = stack.enter_context(uids.reserved_uid())
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="assay-sandbox-")))
        work = _write_files(root, code, files, uid)
        own_uid = uid if os.getuid() == 0 else None
        if workdir is not None and own_uid is not None:
            hand_over(workdir, own_uid)
        name = f"run-{uid}" if own_uid else f"run-{os.getpid()}-{next(_RUNS)}"
        group = cgroups.create(name, _run_memory(limits), limits.processes + SANDBOX_TASKS)
        if group is not None:
            stack.callback(group.remove)
        elif own_uid is None:
            stack.enter_context(one_at_a_time())
            limits = dataclasses.replace(limits, processes=min(limits.processes, SERIAL_PROCESSES))
        pipe = _Pipe(stack) if sandboxed else None
        cmd, switch_uid = _command(
            work, limits, own_uid, group, None if pipe is None else pipe.write, workdir
        )
        kills_before = host.oom_kills()
        cwd = workdir if workdir is not None else root / "files"
        outcome = _run(cmd, switch_uid, root, cwd, limits, uid, pipe, group, sandboxed=sandboxed)
        return dataclasses.replace(outcome, host_failure=_host_failure(outcome, group, kills_before))
    raise AssertionError("unreachable")  # pragma: no cover  (ExitStack does not swallow)


@contextlib.contextmanager
def one_at_a_time() -> Iterator[None]:
    """Hold this user's sandbox lock (every assay process of the user takes the same one)."""
    path = Path(tempfile.gettempdir()) / f"assay-sandbox-{os.getuid()}.lock"
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _host_failure(outcome: Outcome, group: cgroups.RunCgroup | None, kills_before: int) -> str | None:
    """Why a failed program failed for want of something it did not use up, or None. Judged from the
    kernel's counters only, never from what the program printed (a program could print anything)."""
    if outcome.status != "failed":
        return None
    reached = group.limits_reached() if group is not None else set()
    killed = outcome.returncode in (-signal.SIGKILL, 128 + signal.SIGKILL)
    if killed and "memory" not in reached and host.oom_kills() > kills_before:
        return "the host ran out of memory and its OOM killer stopped the program"
    if "processes" not in reached and host.short_of_tasks():
        return "the host ran out of process slots while the program ran"
    return None


class _Pipe:
    """The "Python is up" pipe; each end closed exactly once (a stale close could hit a reused fd)."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self.read, self.write = os.pipe()
        self._open = {self.read, self.write}
        stack.callback(self.close_all)

    def close(self, fd: int) -> None:
        if fd in self._open:
            self._open.discard(fd)
            os.close(fd)

    def close_all(self) -> None:
        for fd in list(self._open):
            self.close(fd)


def _write_files(root: Path, code: str, files: dict[str, str], uid: int) -> Path:
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
    return work


def _run(
    cmd: list[str], switch_uid: int | None, root: Path, cwd: Path, limits: Limits, uid: int,
    pipe: _Pipe | None, group: cgroups.RunCgroup | None, *, sandboxed: bool,
) -> Outcome:  # fmt: skip
    out_path, err_path = root / "stdout", root / "stderr"
    started = time.perf_counter()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=cwd,
                start_new_session=True, env={"PATH": "/usr/bin:/bin"},
                pass_fds=() if pipe is None else (pipe.write,),
                user=switch_uid, group=switch_uid, extra_groups=None if switch_uid is None else [],
            )  # fmt: skip
        except OSError as exc:  # a missing prlimit/setpriv/bwrap, or the uid switch refused
            raise SandboxError(f"could not start the sandbox ({cmd[0]}): {exc}") from None
        if pipe is not None:
            pipe.close(pipe.write)  # the child has its copy
        status, code = _wait(proc, limits, uid, group)
    stderr = _read(err_path, limits)
    if pipe is not None and not _started(pipe.read):
        first = stderr.strip().splitlines()[0] if stderr.strip() else f"exit status {code}"
        raise SandboxError(f"the sandbox could not start: {first}")
    return Outcome(
        status=status, returncode=code, stdout=_read(out_path, limits), stderr=stderr,
        duration_s=time.perf_counter() - started, sandboxed=sandboxed,
    )  # fmt: skip


def _wait(
    proc: subprocess.Popen[bytes], limits: Limits, uid: int, group: cgroups.RunCgroup | None
) -> tuple[Status, int | None]:
    try:
        code = _wait_for_exit(proc, limits.wall_seconds)
        return ("passed" if code == 0 else "failed"), code
    except subprocess.TimeoutExpired:
        return "timeout", None
    finally:
        _kill_group(proc, uid, group)


def _wait_for_exit(proc: subprocess.Popen[bytes], timeout: float) -> int:
    """The exit status, noticed at once: `Popen.wait(timeout)` polls with sleeps of up to 50 ms, a
    delay as long as a short program's whole run. A pidfd becomes readable when the process exits."""
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # no pidfd (Linux before 5.3): the polling wait
        return proc.wait(timeout=timeout)
    try:
        if not select.select([pidfd], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired(proc.args, timeout)
    finally:
        os.close(pidfd)
    return proc.wait()


def _bwrap_command(work: Path, limits: Limits, started_fd: int, workdir: Path | None = None) -> list[str]:
    cmd = [
        "bwrap",
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
    if workdir is not None:
        cmd += ["--bind", str(workdir), "/sandbox/work"]
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
        "/sandbox" if workdir is None else "/sandbox/work",
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
        "-c",
        LAUNCHER,
        str(started_fd),
        str(limits.processes),
    ]
    return cmd


def _prlimit(limits: Limits, uid: int | None, *, boxed: bool) -> list[str]:
    """Hard resource limits set by util-linux's prlimit before it execs the sandbox (no preexec_fn,
    which is unsafe in a threaded process). RLIMIT_NPROC counts every task of a uid: a run with a uid
    of its own (as root) gets `processes` and the sandbox's own tasks there; a user's sandboxed run is
    capped inside the sandbox by the launcher instead (see LAUNCHER), where only its own tasks count;
    a user's unsandboxed run (--unsafe-no-sandbox) gets the user's tasks plus `processes`."""
    mb = 2**20
    values = {
        "cpu": limits.cpu_seconds,
        "as": limits.memory_mb * mb,
        "fsize": limits.file_size_mb * mb,
        "nofile": limits.open_files,
        "core": 0,
    }
    if uid is not None:
        values["nproc"] = limits.processes + SANDBOX_TASKS
    elif not boxed:
        values["nproc"] = _tasks_of(os.getuid()) + limits.processes
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


def _started(started_read: int) -> bool:
    """Whether the launcher inside the sandbox ran, i.e. bubblewrap set everything up and Python
    started; the program's own code runs only after that."""
    os.set_blocking(started_read, False)
    try:
        return bool(os.read(started_read, 16))
    except BlockingIOError:
        return False


def _run_memory(limits: Limits) -> int:
    """The whole run's memory: the program's budget plus its three tmpfs mounts (charged to it too)."""
    return (limits.memory_mb + 3 * limits.tmpfs_mb) * 2**20


def _command(
    work: Path,
    limits: Limits,
    uid: int | None,
    group: cgroups.RunCgroup | None,
    started_fd: int | None,
    workdir: Path | None = None,
) -> tuple[list[str], int | None]:
    """The command line, and the uid Popen itself must switch to (None when the command does it).

    With a cgroup: a shell joins it (as root: then setpriv drops to the run's uid), prlimit sets the
    limits, then bubblewrap; without: Popen switches the uid (as root) and prlimit comes first."""
    unboxed = [SYSTEM_PYTHON, "-I", "-B", str(work / "main.py")]
    program = unboxed if started_fd is None else _bwrap_command(work, limits, started_fd, workdir)
    limited = [*_prlimit(limits, uid, boxed=started_fd is not None), *program]
    if group is None:
        return limited, uid
    if uid is None:  # a user's own delegated group: the shell joins it as the user
        return [*cgroups.enter_command(group), *limited], None
    drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    return [*cgroups.enter_command(group), *drop, *limited], None


def hand_over(workdir: Path, uid: int) -> None:
    """As root, a run has a uid of its own: give it the work dir's files (the previous call's uid owned
    them). Links are changed, never followed; nothing of that earlier run is alive by now."""
    os.chown(workdir, uid, uid)
    for top, dirs, names in os.walk(workdir):
        for name in dirs + names:
            os.chown(os.path.join(top, name), uid, uid, follow_symlinks=False)


def _kill_group(proc: subprocess.Popen[bytes], uid: int, group: cgroups.RunCgroup | None) -> None:
    """Kill bwrap's group; its death tears the sandbox's pid namespace down, but asynchronously, so
    also kill and wait out every process of the run's control group and (as root, where the run has a
    uid of its own) of that uid: when this returns, nothing the program started is still running."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    if group is not None:
        group.kill_all()
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
