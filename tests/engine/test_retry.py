"""The retry policy: when to try again, how long to wait, when to give up."""

import asyncio
import random

import pytest

from assay.core.errors import ModelRequestError
from assay.engine.retry import RetryPolicy, backoff_delay, call_with_retries


class Script:
    """A call that fails with the given errors in turn, then returns "ok"."""

    def __init__(self, *errors: ModelRequestError) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def busy(retry_after: float | None = None) -> ModelRequestError:
    return ModelRequestError("HTTP 503", retryable=True, retry_after=retry_after, status=503)


def run(script, policy, **kwargs):
    return asyncio.run(call_with_retries(script, policy, **kwargs))


def test_success_on_first_try_does_not_wait():
    sleeps = Sleeps()
    assert run(Script(), RetryPolicy(), sleep=sleeps) == ("ok", 1)
    assert sleeps.delays == []


def test_retryable_errors_are_retried_and_attempts_counted():
    sleeps, script = Sleeps(), Script(busy(), busy())
    seen = []
    result = run(
        script,
        RetryPolicy(max_attempts=5),
        sleep=sleeps,
        rng=random.Random(1),
        on_retry=lambda attempt, err, delay: seen.append((attempt, err.status, delay)),
    )
    assert result == ("ok", 3)
    assert script.calls == 3
    assert [(a, s) for a, s, _ in seen] == [(1, 503), (2, 503)]
    assert [d for _, _, d in seen] == sleeps.delays


def test_non_retryable_error_is_raised_at_once():
    sleeps = Sleeps()
    script = Script(ModelRequestError("authentication failed (HTTP 401)", retryable=False, status=401))
    with pytest.raises(ModelRequestError) as info:
        run(script, RetryPolicy(max_attempts=5), sleep=sleeps)
    assert script.calls == 1 and sleeps.delays == []
    assert info.value.status == 401 and info.value.attempts == 1


def test_gives_up_after_max_attempts_with_the_last_error():
    sleeps = Sleeps()
    errors = [busy() for _ in range(4)]
    script = Script(*errors)
    with pytest.raises(ModelRequestError) as info:
        run(script, RetryPolicy(max_attempts=3), sleep=sleeps)
    assert info.value is errors[2]
    assert info.value.attempts == 3 and script.calls == 3
    assert len(sleeps.delays) == 2


def test_retry_after_is_a_floor_capped_by_max_delay():
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=5.0)
    run(
        Script(busy(retry_after=2.0), busy(retry_after=60.0), busy()),
        policy,
        sleep=sleeps,
        rng=random.Random(0),
    )
    assert sleeps.delays[0] >= 2.0
    assert sleeps.delays[1] == 5.0  # a minute-long Retry-After is capped, not obeyed
    assert sleeps.delays[2] <= 0.04


def test_full_jitter_stays_within_the_exponential_cap():
    policy = RetryPolicy(base_delay=0.5, max_delay=3.0)
    rng = random.Random(42)
    for attempt in range(1, 8):
        cap = min(3.0, 0.5 * 2 ** (attempt - 1))
        draws = [backoff_delay(attempt, policy, rng) for _ in range(300)]
        assert all(0.0 <= d <= cap for d in draws)
        # Jittered, not a fixed step: the draws spread over the range.
        assert min(draws) < 0.25 * cap < 0.75 * cap < max(draws)


def test_same_rng_seed_gives_the_same_delays():
    def delays(seed):
        sleeps = Sleeps()
        run(Script(busy(), busy(), busy()), RetryPolicy(), sleep=sleeps, rng=random.Random(seed))
        return sleeps.delays

    assert delays(7) == delays(7)
    assert delays(7) != delays(8)


def test_policy_timeout_turns_a_hung_attempt_into_a_retryable_error():
    calls = 0

    async def hangs_once():
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(30)
        return "late but fine"

    sleeps = Sleeps()
    assert run(hangs_once, RetryPolicy(timeout=0.05), sleep=sleeps) == ("late but fine", 2)
    assert len(sleeps.delays) == 1

    async def always_hangs():
        await asyncio.sleep(30)

    with pytest.raises(ModelRequestError) as info:
        run(always_hangs, RetryPolicy(max_attempts=2, timeout=0.05), sleep=sleeps)
    assert info.value.retryable and info.value.reason == "timed out after 0.05s"
    assert info.value.attempts == 2


def test_other_exceptions_are_not_swallowed():
    async def broken():
        raise KeyError("bug")

    sleeps = Sleeps()
    with pytest.raises(KeyError):
        run(broken, RetryPolicy(), sleep=sleeps)
    assert sleeps.delays == []


@pytest.mark.parametrize("bad", [dict(max_attempts=0), dict(base_delay=-1), dict(timeout=0)])
def test_nonsense_policies_are_refused(bad):
    with pytest.raises(ValueError):
        RetryPolicy(**bad)
