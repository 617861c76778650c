"""Answers written to the store off the event loop, many per transaction.

An executor answers many units at once; committing each answer in its own transaction on the event
loop's thread made a fast server wait on SQLite. `AnswerWriter` queues answers (responses and errors)
and one background thread writes them, one transaction per batch: as soon as `batch_size` answers
wait, or when the oldest has waited `interval_s`, or when someone asks for a flush. `flush` (async)
returns once everything queued before it is committed; `aclose`/`close` write the rest and stop the
thread, on Ctrl-C and cancellation too.

What a crash can lose: answers queued but not yet committed (at most one batch, `interval_s` worth).
Their units have no stored answer, so the next run asks them again; everything committed stays.
A failed write (the store is full, gone) stops the writer: the failure is raised by the next `add_*`,
`flush` or `close`, and the answers queued after it are not written (the next run asks them again).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from assay.store import ErrorRecord, ResponseRecord, Store

BATCH_SIZE = 256  # answers that start a write at once, without waiting for the interval
INTERVAL_S = 0.2  # the longest an answer waits to be written (and what a crash can lose)

Answer = ResponseRecord | ErrorRecord
OnWritten = Callable[[list[str]], object]
_Waiter = tuple[int, asyncio.AbstractEventLoop, "asyncio.Future[None]"]


class AnswerWriter:
    """Queues answers from the event loop; a background thread commits them in batches.

    `on_written(keys)`, if given, runs in the writer's thread after each batch is committed, with the
    keys of its answers (the pull worker marks those units done in the work queue there)."""

    def __init__(
        self,
        store: Store,
        *,
        batch_size: int = BATCH_SIZE,
        interval_s: float = INTERVAL_S,
        on_written: OnWritten | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.store = store
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.on_written = on_written
        self.batches = 0  # transactions committed
        self._cond = threading.Condition()
        self._pending: list[Answer] = []
        self._writing: list[str] = []  # keys of the batch being committed now
        self._oldest = 0.0  # when the oldest pending answer was queued (monotonic)
        self._queued = 0  # answers queued since the start
        self._settled = 0  # answers whose batch is over (committed, or lost with a failure)
        self._flush_upto = 0  # a flush waits for the answers up to this count
        self._waiters: list[_Waiter] = []
        self._closing = False
        self._failure: Exception | None = None
        self._reported = False
        self._thread: threading.Thread | None = None

    # -- the event loop's side ------------------------------------------------------------------
    def add_response(
        self, key: str, response: dict[str, Any], *, latency_s: float | None, attempts: int
    ) -> None:
        self._add(ResponseRecord(key, response, latency_s, attempts))

    def add_error(self, run_id: str, key: str, reason: str, *, attempts: int) -> None:
        self._add(ErrorRecord(run_id, key, reason, attempts))

    def _add(self, answer: Answer) -> None:
        with self._cond:
            self._raise_failure()
            if self._closing:
                raise RuntimeError("the answer writer is closed")
            if not self._pending:
                self._oldest = time.monotonic()
            self._pending.append(answer)
            self._queued += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="assay-answer-writer", daemon=True)
                self._thread.start()
            if len(self._pending) in (1, self.batch_size):
                self._cond.notify()  # a new deadline, or a full batch

    def unwritten(self) -> list[str]:
        """Keys of the answers queued or being committed now (not in the store yet)."""
        with self._cond:
            return [*self._writing, *(a.key for a in self._pending)]

    async def flush(self) -> None:
        """Return once every answer queued before this call is committed (without blocking the loop)."""
        await self._all_written()
        with self._cond:
            self._raise_failure()

    async def aclose(self) -> None:
        """Write what is queued and stop the thread; raises a write failure not raised yet. Cancelled
        while waiting (a second Ctrl-C), it finishes the writing here, blocking: nothing queued is dropped."""
        try:
            await self._all_written()
        finally:
            self.close()

    async def _all_written(self) -> None:
        loop = asyncio.get_running_loop()
        with self._cond:
            target = self._queued
            if self._settled >= target or self._failure is not None:
                return
            done: asyncio.Future[None] = loop.create_future()
            self._waiters.append((target, loop, done))
            self._flush_upto = max(self._flush_upto, target)
            self._cond.notify()
        await done

    def close(self) -> None:
        """Write what is queued and stop the thread (blocking). Raises a write failure not raised yet."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()
        with self._cond:
            if not self._reported:
                self._raise_failure()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            self._reported = True
            raise self._failure

    # -- the writer thread ----------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                batch = self._next_batch()
                if batch is None:
                    return
                self._writing = [a.key for a in batch]
            failure = self._write(batch)
            with self._cond:
                self._writing = []
                self._settled += len(batch)
                if failure is not None:
                    self._failure = failure
                    self._settled += len(self._pending)  # lost: the next run asks them again
                    self._pending = []
                self._wake_waiters()
                if failure is not None:
                    return

    def _next_batch(self) -> list[Answer] | None:
        """Under the lock: wait until a batch is due and take every pending answer; None to stop."""
        while True:
            if self._pending:
                wait = self._oldest + self.interval_s - time.monotonic()
                due = len(self._pending) >= self.batch_size or self._flush_upto > self._settled
                if due or self._closing or wait <= 0:
                    batch, self._pending = self._pending, []
                    return batch
                self._cond.wait(wait)
            elif self._closing:
                return None
            else:
                self._cond.wait()

    def _write(self, batch: Sequence[Answer]) -> Exception | None:
        responses = [a for a in batch if isinstance(a, ResponseRecord)]
        errors = [a for a in batch if isinstance(a, ErrorRecord)]
        try:
            self.store.put_answers(responses, errors)
            self.batches += 1
            if self.on_written is not None:
                self.on_written([a.key for a in batch])
        except Exception as exc:  # reported on the event loop's side, where the run can stop
            return exc
        return None

    def _wake_waiters(self) -> None:
        """Under the lock: settle the flushes whose answers are all written (or lost to a failure)."""
        still: list[_Waiter] = []
        for target, loop, done in self._waiters:
            if self._settled >= target or self._failure is not None:
                with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
                    loop.call_soon_threadsafe(_settle, done)
            else:
                still.append((target, loop, done))
        self._waiters = still


def _settle(done: asyncio.Future[None]) -> None:
    if not done.done():  # a cancelled flush has nothing to settle
        done.set_result(None)
