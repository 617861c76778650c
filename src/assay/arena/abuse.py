"""Who is asking (client IP behind trusted proxies only) and how often (moving-window limits).

The counts live in one of three places: this process's memory (tests, a single worker), the results
store (the default of the web app: every worker and server that opens the store shares them) or a
server that `limits` speaks to (redis://, memcached://, ...), for sites that run one already."""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from limits import RateLimitItem, parse
from limits.errors import ConfigurationError
from limits.storage import MovingWindowSupport, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter

from assay.core.errors import ConfigError
from assay.store.database import safe_url
from assay.store.limits import MovingWindows, Window

if TYPE_CHECKING:
    from assay.store import Store

STORE = "store"  # the rate-limit storage that is the results store itself
MEMORY = "memory://"
Check = tuple[RateLimitItem, tuple[str, ...]]  # a limit and the identifiers of the key it counts


def client_ip(peer: str | None, forwarded_for: str | None, trusted: Sequence[str]) -> str:
    """The peer address, unless the peer is a trusted proxy: then the right-most X-Forwarded-For hop
    that is not itself a trusted proxy (hops further left are client-written and can be forged)."""
    networks = [ipaddress.ip_network(n, strict=False) for n in trusted]

    def is_trusted(addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return any(ip in net for net in networks)

    here = peer or "unknown"
    if not forwarded_for or not is_trusted(here):
        return here
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not is_trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return here  # garbage in the header: fall back to the proxy itself
    return here


def ip_prefix(addr: str) -> str:
    """The network a client can easily rotate within: /24 for IPv4, /48 for IPv6."""
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return addr
    bits = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


class RateLimits:
    """Named limits ("battle", "vote") checked per session and per IP prefix.

    `storage` says where the counts live: "memory://" (this process only), "store" (the results
    store `store`, shared by every process that opens it) or a `limits` storage URI such as
    redis://HOST:PORT or memcached://HOST:PORT."""

    def __init__(
        self, rules: dict[str, tuple[str, str]], *, storage: str = MEMORY, store: Store | None = None
    ) -> None:
        self._rules = {
            name: (_rate(name, per_session), _rate(name, per_ip))
            for name, (per_session, per_ip) in rules.items()
        }
        self._counter = _counter(storage, store)

    def hit(self, name: str, session_id: str, ip: str) -> bool:
        """Count one action; False when either limit is already used up (nothing is counted then)."""
        per_session, per_ip = self._rules[name]
        return self._counter.take(
            [(per_session, (name, "s", session_id)), (per_ip, (name, "ip", ip_prefix(ip)))]
        )


class _Counter(Protocol):
    def take(self, checks: Sequence[Check]) -> bool:
        """Count one hit for every check, or none when any of them is used up."""
        ...


class _StoreCounter:
    """Moving windows in the results store: one transaction checks and counts every limit."""

    def __init__(self, store: Store) -> None:
        self._windows = MovingWindows(store)

    def take(self, checks: Sequence[Check]) -> bool:
        windows = [Window(item.key_for(*ids), item.amount, item.get_expiry()) for item, ids in checks]
        return self._windows.take(windows)


class _LimitsCounter:
    """A `limits` storage: this process's memory, or a server every worker shares."""

    def __init__(self, storage: Storage) -> None:
        # memcached has no moving window in `limits`: there a sliding-window counter approximates it.
        moving = isinstance(storage, MovingWindowSupport)
        self._limiter: RateLimiter = (
            MovingWindowRateLimiter(storage) if moving else SlidingWindowCounterRateLimiter(storage)
        )
        self._lock = threading.Lock()  # test-then-hit is atomic among this process's threads

    def take(self, checks: Sequence[Check]) -> bool:
        with self._lock:
            if not all(self._limiter.test(item, *ids) for item, ids in checks):
                return False
            # Each hit is atomic in the storage, so two workers racing past the test cannot both take
            # a limit's last hit; the loser of such a race may have counted an earlier limit's hit.
            return all(self._limiter.hit(item, *ids) for item, ids in checks)


def _rate(name: str, text: str) -> RateLimitItem:
    try:
        return parse(text)
    except ValueError:
        raise ConfigError(
            f"the {name} limit {text!r} is not a rate such as 10/minute or 100 per hour"
        ) from None


def _counter(storage: str, store: Store | None) -> _Counter:
    if storage == STORE:
        if store is None:
            raise ValueError("rate limits kept in the store need the store")
        return _StoreCounter(store)
    return _LimitsCounter(_limits_storage(storage))


def _limits_storage(uri: str) -> Storage:
    """The `limits` storage of `uri`, reachable; one-line ConfigErrors otherwise."""
    shown = safe_url(uri)
    try:
        found = storage_from_string(uri)
    except (ConfigurationError, ValueError) as exc:
        raise ConfigError(_storage_problem(shown, str(exc))) from None
    if not isinstance(found, Storage):
        raise ConfigError(f"the rate-limit storage {shown} is asynchronous; drop the async+ prefix")
    if not found.check():
        raise ConfigError(f"cannot reach the rate-limit storage {shown}")
    return found


def _storage_problem(shown: str, message: str) -> str:
    missing = re.search(r"'([\w.-]+)' prerequisite not available", message)
    if missing:
        package = missing.group(1).split(".")[0]  # redis.sentinel comes with redis
        return f"the rate-limit storage {shown} needs the Python package {package!r} (pip install {package})"
    if message.startswith("unknown storage scheme"):
        return (
            f"unknown rate-limit storage {shown}: use store, memory://, redis://HOST:PORT or "
            "memcached://HOST:PORT"
        )
    first = (message.strip().splitlines() or ["invalid"])[0]
    return f"the rate-limit storage {shown}: {first}"
