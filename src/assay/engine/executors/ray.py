"""The Ray executor: the same plan answered by workers across a Ray cluster, the store as the work queue.

The driver (this process) plans, queues the unanswered units in the store and starts long-lived
worker actors; each actor loads its model once and pulls units from the queue as expiring leases
(`UnitWorker`), writing answers straight to the store. A worker or a node that dies loses its leases
when they expire and the others take the units. The driver only watches: one progress bar for the
cluster, and on Ctrl-C it stops the actors and hands their leases back, so the next run resumes.

Placement comes from model arguments that never change answers (so never the unit keys):
`replicas` (actors per model), `num_cpus` and `num_gpus` (per actor). An OpenAI-compatible model's
`max_concurrency` is split between its replicas, so the limit holds for the whole cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from assay.core.errors import AssayError, ConfigError
from assay.core.protocols import Task
from assay.core.registry import executors
from assay.core.results import ResultRecord
from assay.core.spec import RunSpec
from assay.core.types import ModelSpec
from assay.engine.calls import ExecutionStats, unanswered
from assay.engine.executors import ray_cluster as cluster
from assay.engine.executors.ray_actor import score_chunk
from assay.engine.executors.worker import WorkerStats
from assay.engine.plan import WorkUnit
from assay.engine.progress import RunProgress
from assay.engine.retry import RetryPolicy
from assay.engine.scoring import Scored
from assay.store import Store, WorkQueue

IN_PROCESS_BACKENDS = frozenset({"llama.cpp", "hf"})  # they load weights: one copy per actor
MAX_REPLACEMENTS = 3  # new actors started per model when all of its workers died with units left
POLL_S = 0.5


@dataclass(frozen=True)
class Placement:
    """How one model's workers are laid out on the cluster."""

    model: str
    spec: ModelSpec
    replicas: int
    num_cpus: float
    num_gpus: float
    slots: tuple[int, ...]  # requests in flight per replica

    @classmethod
    def of(cls, model: str, spec: ModelSpec, max_concurrency: int, cluster_cpus: float) -> Placement:
        local = spec.backend in IN_PROCESS_BACKENDS
        default_replicas = 1 if local else max(1, min(4, int(cluster_cpus), max_concurrency))
        replicas = _positive_int(spec.arg("replicas", default_replicas), f"{model}: replicas")
        num_cpus = float(spec.arg("num_cpus", 1 if local else 0.25))
        num_gpus = float(spec.arg("num_gpus", 0))
        if local:
            slots = tuple(max(1, max_concurrency) for _ in range(replicas))
        else:  # the model's limit, shared out: the cluster never has more requests in flight
            share, extra = divmod(max(max_concurrency, replicas), replicas)
            slots = tuple(share + (1 if i < extra else 0) for i in range(replicas))
        if spec.backend == "llama.cpp" and spec.arg("n_threads") is None:
            # As many decode threads as the actor has cores: more would fight over them.
            spec = ModelSpec(spec.name, spec.backend, (*spec.args, ("n_threads", max(1, int(num_cpus)))))
        return cls(model, spec, replicas, num_cpus, num_gpus, slots)


def _positive_int(value: Any, what: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be a whole number, not {value!r}") from None
    if number < 1:
        raise ConfigError(f"{what} must be at least 1, not {number}")
    return number


class RayExecutor:
    name = "ray"

    def __init__(self, address: str | None = None, lease_s: float = 30.0, ready_timeout_s: float = 600.0):
        self.address = address
        self.lease_s = float(lease_s)
        self.ready_timeout_s = float(ready_timeout_s)
        self.workers = 0
        self.deaths = 0
        self.startup_s = 0.0  # starting the actors until every one has its model ready
        self._connection = contextlib.ExitStack()
        self._ray: Any = None

    def _connected(self) -> Any:
        """Ray, connected once for the whole run (execution, then scoring); `close` disconnects."""
        if self._ray is None:
            self._ray = self._connection.enter_context(cluster.connected(self.address))
        return self._ray

    def close(self) -> None:
        self._ray = None
        self._connection.close()

    def remote_scorer(self, spec: RunSpec) -> RayScorer:
        return RayScorer(self._connected, spec)

    async def execute(
        self,
        units: Sequence[WorkUnit],
        store: Store,
        run_id: str,
        *,
        policy: RetryPolicy,
        progress: RunProgress,
        models: Mapping[str, ModelSpec],
    ) -> ExecutionStats:
        stats, todo = unanswered(units, store, progress)
        if not todo:
            return stats
        ray = self._connected()
        cluster.check_store_reachable(ray, store)
        placements = self._placements(ray, todo, models)
        queue = WorkQueue(store)
        queue.enqueue(run_id, [u.key for u in todo])
        fleet = _Fleet(ray, store, run_id, secrets.token_hex(3), self.lease_s, policy)
        try:
            started = time.perf_counter()
            for placement in placements:
                fleet.start(placement, identity=_identity(todo, placement.model))
            await fleet.ready(self.ready_timeout_s)
            self.startup_s = time.perf_counter() - started
            await fleet.watch(queue, progress, len(units), stats.cached)
        finally:
            fleet.stop(queue)
            self.workers, self.deaths = fleet.started, fleet.deaths
        for worker_stats in fleet.results:
            stats.answered += worker_stats.answered
            stats.errors += worker_stats.errors
            stats.sent += worker_stats.sent
            stats.tokens_evaluated += worker_stats.tokens_evaluated
        return stats

    def _placements(
        self, ray: Any, todo: Sequence[WorkUnit], models: Mapping[str, ModelSpec]
    ) -> list[Placement]:
        cpus = cluster.total_cpus(ray)
        out = []
        for name in dict.fromkeys(u.model_name for u in todo):
            unit = next(u for u in todo if u.model_name == name)
            placement = Placement.of(name, models[name], unit.model.max_concurrency, cpus)
            cluster.check_placeable(ray, name, placement.num_cpus, placement.num_gpus)
            out.append(placement)
        return out


class RayScorer:
    """Scoring that runs code goes to the cluster in chunks (each node's sandbox runs it); the driver
    writes the scores, as it does for everything scored here."""

    chunk = 8

    def __init__(self, connect: Callable[[], Any], spec: RunSpec) -> None:
        self.connect = connect
        self.spec_json = json.dumps(spec.to_json())
        self.rows_scored = 0

    def wants(self, task: Task) -> bool:
        return bool(getattr(task, "executes_code", False))

    def score(self, rows: Sequence[ResultRecord]) -> tuple[list[Scored], BaseException | None]:
        ray = self.connect()
        remote = ray.remote(num_cpus=1, max_retries=0)(score_chunk)
        batches = [rows[i : i + self.chunk] for i in range(0, len(rows), self.chunk)]
        refs = [remote.remote(self.spec_json, [asdict(r) for r in batch]) for batch in batches]
        done: list[Scored] = []
        failure: BaseException | None = None
        for ref in refs:
            try:
                scored, error = ray.get(ref)
            except ray.exceptions.RayError as exc:  # the node died: the next run scores these rows
                scored, error = [], f"a scoring task was lost: {type(exc).__name__}"
            done += [(key, dict(values), extracted) for key, values, extracted in scored]
            if error is not None and failure is None:
                failure = AssayError(f"scoring on the cluster failed: {error}")
        self.rows_scored += len(done)
        return done, failure


def _identity(units: Sequence[WorkUnit], model: str) -> dict[str, Any]:
    return next(u.model.identity for u in units if u.model_name == model)


class _Fleet:
    """The worker actors of one run: started, checked, watched and stopped together."""

    def __init__(
        self, ray: Any, store: Store, run_id: str, token: str, lease_s: float, policy: RetryPolicy
    ) -> None:
        self.ray, self.store, self.run_id, self.token = ray, store, run_id, token
        self.lease_s, self.policy = lease_s, policy
        self.actors: dict[str, tuple[Any, Placement, dict[str, Any]]] = {}  # worker id -> actor
        self.pending: dict[Any, str] = {}  # run() ref -> worker id
        self.results: list[WorkerStats] = []
        self.started = self.deaths = 0
        self.replaced: dict[str, int] = {}

    def start(self, placement: Placement, identity: dict[str, Any], replica: int | None = None) -> None:
        for i in range(placement.replicas) if replica is None else [replica]:
            worker_id = f"ray-{self.token}-{placement.model}-{i}-{self.started}"
            actor = cluster.worker_actor(self.ray, placement.num_cpus, placement.num_gpus).remote(
                self.store.url, placement.spec, placement.model, worker_id, placement.slots[i], self.lease_s
            )
            self.actors[worker_id] = (actor, placement, identity)
            self.started += 1

    async def ready(self, timeout_s: float) -> None:
        """Every actor loaded its model with the identity the plan was keyed with, or one clear line."""
        checks = {
            wid: actor.ready.remote() for wid, (actor, _, _) in self.actors.items() if wid not in self.running
        }
        for worker_id, ref in checks.items():
            _, placement, identity = self.actors[worker_id]
            info = await cluster.wait_ready(self.ray, ref, placement.model, timeout_s)
            if info["identity"] != identity:
                raise ConfigError(
                    f"model {placement.model} on node {info['node']} is not the model the run was planned "
                    f"with (identity {info['identity']} vs {identity}); install the same model on every node"
                )
            actor = self.actors[worker_id][0]
            self.pending[actor.run.remote(self.run_id, asdict(self.policy))] = worker_id

    @property
    def running(self) -> set[str]:
        return set(self.pending.values())

    async def watch(self, queue: WorkQueue, progress: RunProgress, total: int, cached: int) -> None:
        while self.pending:
            done, _ = self.ray.wait(list(self.pending), num_returns=len(self.pending), timeout=0)
            for ref in done:
                worker_id = self.pending.pop(ref)
                try:
                    self.results.append(WorkerStats(**self.ray.get(ref)))
                except self.ray.exceptions.RayActorError:
                    self.deaths += 1
                    await self._replace_if_needed(queue, worker_id)
            state = queue.state(self.run_id)
            progress.show(
                completed=cached + state.done,
                errors=self.store.error_count(self.run_id),
                extra=f"in flight {state.leased}, workers {len(self.pending)}",
            )
            if self.pending:
                await asyncio.sleep(POLL_S)

    async def _replace_if_needed(self, queue: WorkQueue, worker_id: str) -> None:
        """A dead worker's units go to its model's other workers when its leases expire; when none is
        left, a new one is started (a few times at most), so a lost node does not stall the run."""
        _, placement, identity = self.actors[worker_id]
        alive = [w for w in self.pending.values() if self.actors[w][1].model == placement.model]
        left = queue.state(self.run_id, model=placement.model).remaining
        if alive or not left:
            return
        count = self.replaced.get(placement.model, 0)
        if count >= MAX_REPLACEMENTS:
            return  # the driver stops watching; the units stay queued for the next run
        self.replaced[placement.model] = count + 1
        self.start(placement, identity, replica=0)
        await self.ready(timeout_s=600.0)

    def stop(self, queue: WorkQueue) -> None:
        for worker_id, (actor, _, _) in self.actors.items():
            with contextlib.suppress(Exception):
                self.ray.kill(actor)
            with contextlib.suppress(Exception):  # hand back at once rather than wait for expiry
                queue.release(self.run_id, worker_id)


@executors.register("ray")
def ray_executor(
    address: str | None = None, lease_s: float = 30.0, ready_timeout_s: float = 600.0, **unknown: Any
) -> RayExecutor:
    if unknown:
        raise ConfigError(
            f"the ray executor takes no option {sorted(unknown)[0]!r} "
            "(options: address, lease_s, ready_timeout_s)"
        )
    cluster.import_ray()  # before any model loads: say now that Ray is missing, or the address is wrong
    if address not in (None, "", "auto"):
        cluster.check_reachable(str(address))
    return RayExecutor(address=address, lease_s=lease_s, ready_timeout_s=ready_timeout_s)
