"""Leasing a run's units to workers, so many processes (or machines) share one plan.

A worker claims a few units at a time; a claim is a lease that runs out unless the worker's heartbeat
extends it, so the units of a worker that died go to the next claimer once its leases expire. On
PostgreSQL a claim is one `UPDATE ... WHERE (run_id, unit_key) IN (SELECT ... FOR UPDATE SKIP LOCKED
LIMIT n) RETURNING`: claimers never wait for each other and never get the same unit. On SQLite the
claim runs in an IMMEDIATE transaction, which lets one claimer at a time in.

A unit that two workers end up answering (the first one's lease expired while it was still working)
costs one extra model call, nothing more: responses are written once per key.

Times come from `clock` (seconds, like time.time), so a test moves the clock instead of sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Update, case, func, or_, select, tuple_, update

from assay.store.bulk import chunks
from assay.store.schema import UnitRow, WorkQueueRow, table_of

if TYPE_CHECKING:
    from assay.store.store import Store

_QUEUE = table_of(WorkQueueRow)
_UNITS = table_of(UnitRow)


@dataclass(frozen=True)
class QueueState:
    """How a run's queued units stand at one moment."""

    queued: int = 0  # never leased, or handed back
    leased: int = 0  # held by a worker whose lease has not run out
    expired: int = 0  # the lease ran out: the next claimer takes the unit
    done: int = 0

    @property
    def remaining(self) -> int:
        return self.queued + self.leased + self.expired


class WorkQueue:
    """The work_queue table of a store: one row per (run, unit) with its lease and whether it is done."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def enqueue(self, run_id: str, unit_keys: Sequence[str]) -> int:
        """Queue the run's units (already added with `Store.add_units`), to be claimed in the order
        given. Units queued before keep their place and state. Returns how many were new."""
        rows = [
            dict(run_id=run_id, unit_key=key, position=i, owner=None, expires_at=None, claims=0, done=False)
            for i, key in enumerate(dict.fromkeys(unit_keys))
        ]
        with self.store.transaction() as conn:
            return self.store.insert_new(conn, _QUEUE, rows)

    def claim(
        self, run_id: str, worker: str, *, limit: int, lease_s: float, model: str | None = None
    ) -> list[str]:
        """Lease up to `limit` units that are not done and not leased (or whose lease expired), first
        in queue order; only units of `model` when given. Returns their keys in queue order."""
        _check_lease(lease_s)
        if limit < 1:
            raise ValueError(f"claim limit must be at least 1, got {limit}")
        now = self.clock()
        free = _QUEUE.alias("free")
        pick = select(free.c.run_id, free.c.unit_key).where(
            free.c.run_id == run_id,
            free.c.done.is_(False),
            or_(free.c.expires_at.is_(None), free.c.expires_at <= now),
        )
        if model is not None:
            pick = pick.join(_UNITS, _UNITS.c.key == free.c.unit_key).where(_UNITS.c.model == model)
        # OF free: lock only queue rows, never the units a claimer joins for the model.
        pick = pick.order_by(free.c.position, free.c.unit_key).limit(limit)
        pick = pick.with_for_update(skip_locked=True, of=free)
        stmt = (
            update(_QUEUE)
            .where(tuple_(_QUEUE.c.run_id, _QUEUE.c.unit_key).in_(pick))
            .values(owner=worker, expires_at=now + lease_s, claims=_QUEUE.c.claims + 1)
            .returning(_QUEUE.c.unit_key, _QUEUE.c.position)
        )
        with self.store.transaction() as conn:
            claimed = conn.execute(stmt).all()
        return [key for key, _ in sorted(claimed, key=lambda row: (row[1], row[0]))]

    def heartbeat(self, run_id: str, worker: str, keys: Iterable[str], lease_s: float) -> list[str]:
        """Extend this worker's leases on `keys` to `lease_s` from now. Returns the keys it no longer
        holds (taken over after expiry, released, or done): the worker should drop them."""
        _check_lease(lease_s)
        wanted = sorted(set(keys))
        expires_at = self.clock() + lease_s
        kept = self._update(
            wanted,
            lambda chunk: _keys(run_id, chunk, _QUEUE.c.owner == worker, _QUEUE.c.done.is_(False)),
            expires_at=expires_at,
        )
        return [key for key in wanted if key not in kept]

    def complete(self, run_id: str, keys: Iterable[str], worker: str) -> int:
        """Mark units done, whoever holds their lease (an answer by an earlier, expired lessee counts
        as much as this worker's). Units done already stay as they are. Returns how many were newly done."""
        done = self._update(
            sorted(set(keys)),
            lambda chunk: _keys(run_id, chunk, _QUEUE.c.done.is_(False)),
            owner=worker,
            expires_at=None,
            done=True,
        )
        return len(done)

    def release(self, run_id: str, worker: str, keys: Iterable[str] | None = None) -> int:
        """Hand back this worker's leases (all of them, or those of `keys`) at once, e.g. on Ctrl-C, so
        other workers need not wait for them to expire. Returns how many were handed back."""
        mine = (_QUEUE.c.run_id == run_id, _QUEUE.c.owner == worker, _QUEUE.c.done.is_(False))
        if keys is None:
            with self.store.transaction() as conn:
                stmt = update(_QUEUE).where(*mine).values(owner=None, expires_at=None)
                return int(conn.execute(stmt).rowcount or 0)
        freed = self._update(
            sorted(set(keys)), lambda chunk: _keys(run_id, chunk, *mine[1:]), owner=None, expires_at=None
        )
        return len(freed)

    def state(self, run_id: str, *, model: str | None = None) -> QueueState:
        """Counts of the run's queued units by where they stand now (of one model when given)."""
        now = self.clock()
        stand = case(
            (_QUEUE.c.done.is_(True), "done"),
            (_QUEUE.c.expires_at.is_(None), "queued"),
            (_QUEUE.c.expires_at > now, "leased"),
            else_="expired",
        ).label("stand")
        rows = select(stand).where(_QUEUE.c.run_id == run_id)
        if model is not None:
            rows = rows.join(_UNITS, _UNITS.c.key == _QUEUE.c.unit_key).where(_UNITS.c.model == model)
        # Grouped outside: PostgreSQL cannot tell that two copies of the bound `now` are one expression.
        each = rows.subquery()
        stmt = select(each.c.stand, func.count()).group_by(each.c.stand)
        with self.store.reading() as conn:
            counts = {name: int(n) for name, n in conn.execute(stmt)}
        return QueueState(**counts)

    def workers(self, run_id: str) -> dict[str, int]:
        """Workers holding live (unexpired) leases in the run, with how many units each holds."""
        now = self.clock()
        stmt = (
            select(_QUEUE.c.owner, func.count())
            .where(_QUEUE.c.run_id == run_id, _QUEUE.c.done.is_(False), _QUEUE.c.expires_at > now)
            .group_by(_QUEUE.c.owner)
            .order_by(_QUEUE.c.owner)
        )
        with self.store.reading() as conn:
            return {owner: int(n) for owner, n in conn.execute(stmt)}

    def _update(
        self, keys: Sequence[str], where: Callable[[Sequence[str]], Update], **values: Any
    ) -> set[str]:
        """Apply `values` to the rows `where` picks, key chunk by key chunk (sorted: one lock order for
        every writer), in one transaction; returns the keys of the rows it changed."""
        changed: set[str] = set()
        with self.store.transaction() as conn:
            for chunk in chunks(keys):
                stmt = where(chunk).values(**values).returning(_QUEUE.c.unit_key)
                changed.update(conn.execute(stmt).scalars())
        return changed


def _keys(run_id: str, keys: Sequence[str], *conditions: ColumnElement[bool]) -> Update:
    return update(_QUEUE).where(_QUEUE.c.run_id == run_id, _QUEUE.c.unit_key.in_(keys), *conditions)


def _check_lease(lease_s: float) -> None:
    if not lease_s > 0:
        raise ValueError(f"a lease must last more than 0 seconds, got {lease_s}")
