"""Rate-limit windows kept in the store, so every process that opens it (the web's workers, or servers
on several machines sharing one PostgreSQL) counts against the same budgets.

A window is a key, an amount and a length in seconds: a hit is allowed while fewer than `amount` hits
of the key are younger than `seconds` (a moving window, as `limits` keeps one in memory). Every
counted hit is a row that counts until it expires.

`take` checks several windows and counts one hit in each only when all of them have room, so a refused
request uses up nothing. No two transactions count the same key at once, so concurrent hits never admit
more than the amount: on SQLite the write transaction begins IMMEDIATE (the database's write lock, taken
up front); on PostgreSQL it takes a transaction-scoped advisory lock per key, in sorted order so two
takers never deadlock, and each statement after the lock sees the rows of the taker before it (READ
COMMITTED). Expired rows only stop counting; a sweep now and then deletes them, skipping rows another
sweep holds, so sweeps never wait for each other or for a taker.

Times come from `clock` (seconds, like time.time), so a test moves the clock instead of sleeping."""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, func, insert, select

from assay.store.schema import RateLimitHitRow, table_of

if TYPE_CHECKING:
    from assay.store.store import Store

_HITS = table_of(RateLimitHitRow)
_KEY_CHARS = 200  # the key column's width: longer keys are stored as their hash
_LOCK_SPACE = 0x61_73_73_79  # first int4 of the advisory locks taken here, apart from other users'
_PURGE_EVERY = 500  # takes between sweeps of every key's expired rows


@dataclass(frozen=True)
class Window:
    """At most `amount` hits of `key` in any `seconds`."""

    key: str
    amount: int
    seconds: float


class MovingWindows:
    """The rate_limit_hits table of a store: moving-window hit counts shared by every process."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self._takes = itertools.count()

    def take(self, windows: Sequence[Window]) -> bool:
        """Count one hit in every window and return True, or count nothing and return False when any
        window is full."""
        keys = [_stored_key(w.key) for w in windows]
        if len(set(keys)) != len(keys):
            raise ValueError("each window of one take needs its own key")
        with self.store.transaction() as conn:
            _lock(conn, keys)
            now = self.clock()  # after the wait for the lock: a hit counts from when it was counted
            used = _counts(conn, keys, now)
            if any(used.get(key, 0) >= w.amount for key, w in zip(keys, windows, strict=True)):
                return False
            rows = [dict(key=key, expires_at=now + w.seconds) for key, w in zip(keys, windows, strict=True)]
            if rows:
                conn.execute(insert(_HITS), rows)
        if next(self._takes) % _PURGE_EVERY == 0:
            self.purge()
        return True

    def used(self, key: str) -> int:
        """How many hits of `key` count now."""
        with self.store.reading() as conn:
            return _counts(conn, [_stored_key(key)], self.clock()).get(_stored_key(key), 0)

    def purge(self) -> int:
        """Delete every expired hit (of any key); returns how many went."""
        expired = select(_HITS.c.id).where(_HITS.c.expires_at <= self.clock())
        with self.store.transaction() as conn:
            # SKIP LOCKED on PostgreSQL (SQLite has no row locks and ignores it).
            return conn.execute(
                delete(_HITS).where(_HITS.c.id.in_(expired.with_for_update(skip_locked=True)))
            ).rowcount


def _counts(conn: Connection, keys: Sequence[str], now: float) -> dict[str, int]:
    query = (
        select(_HITS.c.key, func.count())
        .where(_HITS.c.key.in_(keys), _HITS.c.expires_at > now)
        .group_by(_HITS.c.key)
    )
    return {key: int(n) for key, n in conn.execute(query).all()}


def _lock(conn: Connection, keys: Sequence[str]) -> None:
    """PostgreSQL: one advisory lock per key until commit, in one order for every taker (SQLite's
    IMMEDIATE transaction already excludes every other writer)."""
    if conn.dialect.name != "postgresql":
        return
    for lock in sorted({_int4_of(key) for key in keys}):
        conn.execute(select(func.pg_advisory_xact_lock(_LOCK_SPACE, lock)))


def _int4_of(key: str) -> int:
    # A stable hash (Python's hash() differs between processes); a collision only makes two keys wait
    # for each other.
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big", signed=True)


def _stored_key(key: str) -> str:
    if len(key) <= _KEY_CHARS:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
