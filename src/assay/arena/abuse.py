"""Who is asking (client IP behind trusted proxies only) and how often (moving-window limits)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


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
    """Named limits ("battle", "vote") checked per session and per IP prefix."""

    def __init__(self, rules: dict[str, tuple[str, str]]) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._rules = {
            name: (parse(per_session), parse(per_ip)) for name, (per_session, per_ip) in rules.items()
        }

    def hit(self, name: str, session_id: str, ip: str) -> bool:
        """Count one action; False when either limit is already used up (nothing is counted then)."""
        per_session, per_ip = self._rules[name]
        prefix = ip_prefix(ip)
        if not (
            self._limiter.test(per_session, name, "s", session_id)
            and self._limiter.test(per_ip, name, "ip", prefix)
        ):
            return False
        self._limiter.hit(per_session, name, "s", session_id)
        self._limiter.hit(per_ip, name, "ip", prefix)
        return True
