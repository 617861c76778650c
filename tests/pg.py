"""A throwaway PostgreSQL server for the test session, run from Debian's binaries.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
`postgres` user, with its data and socket directories in a temp dir that user owns.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BIN_GLOB = "/usr/lib/postgresql/*/bin"
_RUN_USER = "postgres"


class PgUnavailable(Exception):
    """This machine cannot run a test PostgreSQL (the message says why)."""


def find_bin_dir() -> Path:
    """The newest installed server's bin dir, or PgUnavailable."""
    found = [
        Path(d)
        for d in glob.glob(BIN_GLOB)
        if (Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists()
    ]
    if not found:
        raise PgUnavailable(
            f"PostgreSQL server binaries not found ({BIN_GLOB}/initdb, pg_ctl); "
            "install them with: apt-get install postgresql"
        )
    return max(found, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user() -> list[str]:
    """Command prefix that runs a program as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(_RUN_USER)
    except KeyError:
        raise PgUnavailable(f"running as root and there is no {_RUN_USER!r} user to run the server") from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PgUnavailable("running as root and `runuser` is missing")
    return [runuser, "-u", _RUN_USER, "--"]


@dataclass
class PgServer:
    bin_dir: Path
    root: Path
    port: int
    host: str = "127.0.0.1"
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{dbname}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        cmd = [*_as_server_user(), *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if proc.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PgUnavailable(
                f"{Path(args[0]).name} failed ({proc.returncode}): "
                f"{proc.stderr.strip() or proc.stdout.strip()}\n{tail}"
            )

    def start(self) -> None:
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        # Durability is pointless for a throwaway server; fsync off keeps the tests fast.
        opts = (
            f"-p {self.port} -k {self.root} -c listen_addresses={self.host} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-l",
            str(self.root / "server.log"),
            "-o",
            opts,
            "-w",
            "-t",
            "60",
            "start",
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url(), connect_timeout=5).close()
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise PgUnavailable(f"PostgreSQL did not accept connections: {exc}") from None
                time.sleep(0.1)

    def create_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        name = f"assay_test_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> PgServer:
    """Start a private server on a free port; raises PgUnavailable when that cannot be done here."""
    bin_dir = find_bin_dir()
    _as_server_user()  # fail early with a clear reason
    last = PgUnavailable("PostgreSQL did not start")
    for _ in range(3):  # the free port can be taken between probing and binding
        server = PgServer(bin_dir=bin_dir, root=_server_dir(), port=_free_port())
        try:
            server.start()
            return server
        except (PgUnavailable, subprocess.TimeoutExpired) as exc:
            last = exc if isinstance(exc, PgUnavailable) else PgUnavailable(str(exc))
            try:
                server.stop()
            except (PgUnavailable, subprocess.TimeoutExpired):
                shutil.rmtree(server.root, ignore_errors=True)
    raise last


def _server_dir() -> Path:
    root = Path(tempfile.mkdtemp(prefix="assay-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam(_RUN_USER)
        os.chown(root, user.pw_uid, user.pw_gid)
    return root
