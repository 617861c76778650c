"""X-Forwarded-For is believed only from a configured trusted proxy (real uvicorn on loopback)."""

import httpx
import pytest
from browser.conftest import LiveServer

from assay.arena import ArenaConfig
from assay.store import Store
from assay.web.app import create_app


def votes_allowed(url, forwarded_for):
    """Fresh sessions voting on a missing battle from one XFF value: how many pass the IP limit."""
    codes = []
    for _ in range(3):
        with httpx.Client(base_url=url) as client:
            token = client.get("/api/session").json()["csrf_token"]
            codes.append(
                client.post(
                    "/api/arena/battles/missing/vote",
                    json={"vote": "a"},
                    headers={"X-CSRF-Token": token, "X-Forwarded-For": forwarded_for},
                ).status_code
            )
    return codes


@pytest.mark.parametrize("trusted", [(), ("127.0.0.1/32",)])
def test_forwarded_for_only_behind_a_trusted_proxy(tmp_path, trusted):
    config = ArenaConfig(
        models=("m1", "m2"), vote_limit="100/minute", vote_limit_ip="2/minute", trusted_proxies=trusted
    )
    with Store.open(tmp_path / "s.db") as store, LiveServer(create_app(store, config)) as server:
        first = votes_allowed(server.url, "198.51.100.1")
        second = votes_allowed(server.url, "203.0.113.1")
    assert first == [404, 404, 429]
    if trusted:  # the proxy's header names another client network: its own budget
        assert second == [404, 404, 429]
    else:  # the header is ignored: same peer (127.0.0.1), budget already spent
        assert second == [429, 429, 429]


def test_a_forged_first_header_line_does_not_pick_the_budget(tmp_path):
    """The client sends its own X-Forwarded-For line; the proxy adds a second line with the real
    address: the real address (the right-most entry over all lines) decides."""
    trusted = ("127.0.0.1/32",)
    limits = {"vote_limit": "100/minute", "vote_limit_ip": "2/minute"}
    config = ArenaConfig(models=("m1", "m2"), trusted_proxies=trusted, **limits)
    codes = []
    with Store.open(tmp_path / "s.db") as store, LiveServer(create_app(store, config)) as server:
        for forged in ("6.6.6.1", "6.6.7.1", "6.6.8.1"):  # a new forged network each time
            with httpx.Client(base_url=server.url) as client:
                token = client.get("/api/session").json()["csrf_token"]
                headers = [("X-CSRF-Token", token), ("X-Forwarded-For", forged),
                           ("X-Forwarded-For", "198.51.100.7")]  # fmt: skip
                response = client.post("/api/arena/battles/missing/vote", json={"vote": "a"}, headers=headers)
                codes.append(response.status_code)
    assert codes == [404, 404, 429]
