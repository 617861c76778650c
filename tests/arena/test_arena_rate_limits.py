"""The arena's rate limits in each storage: the same meaning in memory and in the store, counts shared
by every RateLimits on one store (as by the web's workers), and one-line errors for storages that
cannot be used here."""

import importlib.util
import re
import threading

import pytest

from assay.arena.abuse import RateLimits
from assay.core.errors import ConfigError
from assay.store import Store

RULES = {"vote": ("3/minute", "5/minute"), "battle": ("2/hour", "10/hour")}


@pytest.mark.parametrize("storage", ["memory://", "store"])
def test_per_session_and_per_ip_prefix_in_every_storage(any_store, storage):
    limits = RateLimits(RULES, storage=storage, store=any_store)
    assert [limits.hit("vote", "s1", "198.51.100.1") for _ in range(4)] == [True, True, True, False]
    # another session in the same /24 shares the IP budget (2 left of 5)
    assert [limits.hit("vote", "s2", "198.51.100.200") for _ in range(3)] == [True, True, False]
    assert limits.hit("vote", "s3", "203.0.113.1")  # another network is not affected
    assert [limits.hit("battle", "s1", "198.51.100.1") for _ in range(3)] == [True, True, False]


def test_workers_on_one_store_share_their_budgets(any_store):
    """Four RateLimits over four connections to one store, as four web workers: a session's budget of
    3 votes a minute admits 3 in all, not 3 per worker, with every worker hitting at once."""
    opened = [Store.open(any_store.url) for _ in range(4)]
    workers = [RateLimits(RULES, storage="store", store=store) for store in opened]
    start = threading.Barrier(len(workers))
    admitted: list[bool] = []
    lock = threading.Lock()

    def vote(limits: RateLimits) -> None:
        start.wait()
        for _ in range(3):
            ok = limits.hit("vote", "one-session", "198.51.100.1")
            with lock:
                admitted.append(ok)

    try:
        threads = [threading.Thread(target=vote, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert admitted.count(True) == 3 and admitted.count(False) == 9
        # the IP budget (5) counted only the 3 admitted votes: a new session there has 2 left
        assert [workers[0].hit("vote", "other", "198.51.100.9") for _ in range(3)] == [True, True, False]
    finally:
        for store in opened:
            store.close()


def test_a_changed_limit_counts_afresh(any_store):
    """A limit's key names its rate, so a server restarted with a new limit does not inherit the old
    limit's count (as with `limits` in memory)."""
    strict = RateLimits({"vote": ("1/minute", "100/minute")}, storage="store", store=any_store)
    assert [strict.hit("vote", "s", "203.0.113.1") for _ in range(2)] == [True, False]
    relaxed = RateLimits({"vote": ("2/minute", "100/minute")}, storage="store", store=any_store)
    assert [relaxed.hit("vote", "s", "203.0.113.1") for _ in range(3)] == [True, True, False]


@pytest.mark.parametrize(
    ("storage", "message"),
    [
        ("redis://:hunter2@localhost:6379/0", r"needs the Python package 'redis' \(pip install redis\)"),
        ("memcached://localhost:11211", r"needs the Python package 'pymemcache'"),
        ("carrier-pigeon://loft", r"unknown rate-limit storage carrier-pigeon://loft: use store, memory://"),
        ("async+memory://", r"asynchronous; drop the async\+ prefix"),
    ],
)
def test_storages_that_cannot_be_used_here_fail_with_one_line(storage, message):
    package = re.search(r"package '(\w+)'", message)
    if package and importlib.util.find_spec(package.group(1)) is not None:
        pytest.skip(f"{package.group(1)} is installed here: the missing-driver message cannot show")
    with pytest.raises(ConfigError, match=message) as caught:
        RateLimits(RULES, storage=storage)
    assert "\n" not in str(caught.value) and "hunter2" not in str(caught.value)


def test_a_limit_that_is_not_a_rate_fails_with_one_line():
    with pytest.raises(ConfigError, match=r"the vote limit '3/fortnight' is not a rate such as 10/minute"):
        RateLimits({"vote": ("3/fortnight", "5/minute")})
