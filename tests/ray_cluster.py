"""A real multi-node Ray cluster on loopback for the cluster tests: a head node (`ray start --head`) and a
second node (`ray start --address ... --block`) in a process group of its own, so a test can kill the
whole node with SIGKILL as a machine failure would. Each node advertises a custom resource named
after it, which tells where a worker ran."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

RAY = str(Path(sys.executable).with_name("ray"))


# Ray's token authentication, on for every process of the cluster and its drivers (the token file in
# ~/.ray is made once if missing): a node started without it cannot join a head that has it.
CLUSTER_ENV = {"RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0"}


def _env() -> dict[str, str]:
    return {**os.environ, **CLUSTER_ENV}


def _run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([RAY, *args], capture_output=True, text=True, timeout=timeout, env=_env())


class RayCluster:
    def __init__(self, port: int, head_cpus: int = 2, node_cpus: int = 2) -> None:
        self.port = port
        self.head_cpus = head_cpus
        self.node_cpus = node_cpus
        self.node: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> RayCluster:
        _run("stop", "--force")  # nothing of an earlier run may linger on this machine
        _run("get-auth-token", "--generate")
        head = _run(
            "start", "--head", "--node-ip-address=127.0.0.1", f"--port={self.port}",
            f"--num-cpus={self.head_cpus}", "--include-dashboard=false", "--disable-usage-stats",
            f"--resources={json.dumps({'head_node': 100})}",
        )  # fmt: skip
        if head.returncode != 0:
            raise RuntimeError(f"ray start --head failed: {head.stderr[-2000:]}")
        self.start_node()
        return self

    def start_node(self) -> None:
        """The second node, in a new session: SIGKILL to its process group takes the node down whole."""
        self.node = subprocess.Popen(
            [
                RAY, "start", f"--address={self.address}", "--node-ip-address=127.0.0.1",
                f"--num-cpus={self.node_cpus}", f"--resources={json.dumps({'second_node': 100})}", "--block",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=_env(),
        )  # fmt: skip
        self.wait_for_nodes(2)

    def alive_nodes(self) -> int:
        probe = (
            f"import ray, json; ray.init(address='{self.address}', logging_level='ERROR', "
            "log_to_driver=False); print(json.dumps(sum(1 for n in ray.nodes() if n['Alive'])))"
        )
        out = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=_env()
        )
        return int(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 and out.stdout.strip() else 0

    def wait_for_nodes(self, count: int, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.alive_nodes() >= count:
                return
            time.sleep(1)
        raise RuntimeError(f"the Ray cluster did not reach {count} nodes within {timeout_s:g} s")

    def kill_node(self) -> None:
        """SIGKILL the second node's raylet and every worker under it, as if the machine died."""
        assert self.node is not None
        os.killpg(self.node.pid, signal.SIGKILL)
        self.node.wait(timeout=30)
        self.node = None

    def stop(self) -> None:
        if self.node is not None:
            self.kill_node()
        _run("stop", "--force")
