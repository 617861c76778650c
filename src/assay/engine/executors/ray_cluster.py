"""Talking to a Ray cluster: connect (or start a local one), check what workers need before any unit is
sent (the store, the resources), start worker actors and wait for them, each with a one-line error."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

from assay.core.errors import ConfigError
from assay.engine.executors.ray_actor import WorkerActor
from assay.store import Store

INSTALL_HINT = "the ray executor needs Ray: pip install 'assay[ray]'"


def import_ray() -> Any:
    try:
        return importlib.import_module("ray")
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None


def check_reachable(address: str) -> None:
    """A host:port (or ray://host:port) that nothing listens on fails here in seconds, not in a hang."""
    target = address.removeprefix("ray://")
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(f"--ray-address must be auto, HOST:PORT or ray://HOST:PORT, not {address!r}")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=5):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def connected(address: str | None) -> Iterator[Any]:
    """Ray connected to the cluster at `address` ("auto": the one running on this machine), or a
    local Ray started for this run (stopped after it)."""
    ray = import_ray()
    if address not in (None, "", "auto"):
        check_reachable(address)
    options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING}
    if not address:
        options.update(include_dashboard=False)
    try:
        ray.init(address=address or None, **options)
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError (version mismatch) and more
        raise ConfigError(
            f"cannot connect to Ray{f' at {address}' if address else ''}: {_first_line(exc)}"
        ) from None
    try:
        yield ray
    finally:
        ray.shutdown()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def alive_nodes(ray: Any) -> list[dict[str, Any]]:
    return [n for n in ray.nodes() if n.get("Alive")]


def total_cpus(ray: Any) -> float:
    return float(sum(n.get("Resources", {}).get("CPU", 0) for n in alive_nodes(ray)))


def check_store_reachable(ray: Any, store: Store) -> None:
    """SQLite is one machine's store: workers on other nodes cannot share the file."""
    nodes = alive_nodes(ray)
    if store.url.startswith("sqlite") and len(nodes) > 1:
        raise ConfigError(
            f"the Ray cluster has {len(nodes)} nodes, and they cannot share the SQLite store "
            f"{store.display_url}: give a postgresql:// URL with --db "
            "(a local Ray on one machine may use SQLite)"
        )


def check_placeable(ray: Any, model: str, num_cpus: float, num_gpus: float) -> None:
    """Some node must have the resources one worker of `model` asks for, or Ray would wait forever."""
    for node in alive_nodes(ray):
        have = node.get("Resources", {})
        if have.get("CPU", 0) >= num_cpus and have.get("GPU", 0) >= num_gpus:
            return
    asked = f"num_cpus={num_cpus:g}" + (f", num_gpus={num_gpus:g}" if num_gpus else "")
    raise ConfigError(
        f"no node of the Ray cluster can place a worker for {model} ({asked}); lower it with --model-arg"
    )


def worker_actor(ray: Any, num_cpus: float, num_gpus: float) -> Any:
    # SPREAD: replicas of a model go to different nodes where they can, so losing a node loses few.
    return ray.remote(WorkerActor).options(
        num_cpus=num_cpus, num_gpus=num_gpus, max_restarts=0, scheduling_strategy="SPREAD"
    )


async def wait_ready(ray: Any, ref: Any, model: str, timeout_s: float) -> dict[str, Any]:
    """The actor's `ready()` answer; an actor that could not start (plugin missing on that node, store
    unreachable, model file absent) is one line naming the cause."""
    deadline = time.monotonic() + timeout_s
    while True:
        done, _ = ray.wait([ref], timeout=0)
        if done:
            break
        if time.monotonic() > deadline:
            raise ConfigError(
                f"the worker for {model} did not start within {timeout_s:g}s (is the cluster busy?)"
            )
        await asyncio.sleep(0.2)
    try:
        return dict(ray.get(ref))
    except ray.exceptions.RayActorError as exc:
        raise ConfigError(f"the worker for {model} could not start: {_cause(exc)}") from None


def _cause(exc: BaseException) -> str:
    """The user's error inside Ray's wrapping (an AssayError or ImportError raised in __init__)."""
    cause = getattr(exc, "cause", None) or getattr(exc, "error_msg", None) or exc
    text = str(cause).strip().splitlines()
    picked = [line for line in text if "Error" in line and not line.startswith(" ")]
    return (picked[-1] if picked else (text[0] if text else type(exc).__name__)).strip()
