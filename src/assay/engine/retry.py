"""Retrying model requests: exponential backoff with full jitter, Retry-After honoured, per-attempt timeout.

Pure control flow: the backend decides what is retryable (`ModelRequestError.retryable`); this module
decides when to try again and when to give up.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from assay.core.errors import ModelRequestError

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[object]]
OnRetry = Callable[[int, ModelRequestError, float], None]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    # Seconds allowed for each attempt; None leaves timing to the backend.
    timeout: float | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {self.max_attempts}")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("retry delays must not be negative")
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError(f"timeout must be positive, not {self.timeout}")


def backoff_delay(
    attempt: int, policy: RetryPolicy, rng: random.Random, retry_after: float | None = None
) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based).

    Full jitter (uniform in [0, cap]) spreads out clients that failed together; a server's
    Retry-After is a floor, but never beyond max_delay, so one bad header cannot stall a run.
    """
    cap = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
    delay = rng.uniform(0.0, cap)
    if retry_after is not None:
        delay = max(delay, min(max(retry_after, 0.0), policy.max_delay))
    return delay


async def _attempt(make_call: Callable[[], Awaitable[T]], timeout: float | None) -> T:
    if timeout is None:
        return await make_call()
    try:
        return await asyncio.wait_for(make_call(), timeout)
    except TimeoutError:
        raise ModelRequestError(f"timed out after {timeout:g}s", retryable=True) from None


async def call_with_retries(
    make_call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
    on_retry: OnRetry | None = None,
) -> tuple[T, int]:
    """Run `make_call` until it succeeds; return (result, attempts).

    A non-retryable error is raised at once. After the last attempt the last error is raised with
    an `attempts` attribute. `on_retry(failed_attempt, error, delay)` runs before each wait.
    """
    rng = rng or random.Random()
    attempt = 0
    while True:
        attempt += 1
        try:
            return await _attempt(make_call, policy.timeout), attempt
        except ModelRequestError as exc:
            error = exc
        if not error.retryable or attempt >= policy.max_attempts:
            error.attempts = attempt  # type: ignore[attr-defined]
            raise error
        delay = backoff_delay(attempt, policy, rng, error.retry_after)
        if on_retry is not None:
            on_retry(attempt, error, delay)
        await sleep(delay)
