"""Security rules of the web app: headers, session cookie, CSRF, admin password, client IP, rate limits."""

import base64

import pytest
from fastapi.testclient import TestClient

from assay.arena import ArenaConfig
from assay.arena.abuse import RateLimits, client_ip, ip_prefix
from assay.store import Store
from assay.web.app import create_app
from assay.web.security import SESSION_COOKIE, hash_password


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "s.db") as s:
        yield s


def make_client(store, **kw):
    config = kw.pop("config", ArenaConfig(models=("m1", "m2")))
    return TestClient(create_app(store, config, **kw))


def csrf(client):
    return client.get("/api/session").json()["csrf_token"]


@pytest.mark.parametrize("path", ["/", "/arena", "/api/leaderboard", "/static/app.js", "/no-such-page"])
def test_security_headers_everywhere(store, path):
    r = make_client(store).get(path)
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_only_cookies_the_server_signed_are_sessions(store):
    from assay.web.security import new_session_cookie, session_id_of

    client = make_client(store, secret=b"k" * 32)
    token = csrf(client)
    issued = client.cookies.get(SESSION_COOKIE)
    assert session_id_of(b"k" * 32, issued) is not None and session_id_of(b"other" * 8, issued) is None
    planted = make_client(store, secret=b"k" * 32)  # a session an attacker picked is replaced
    response = planted.get("/api/session", headers={"Cookie": f"{SESSION_COOKIE}={'A' * 24}"})
    assert response.json()["csrf_token"] != token
    assert response.headers["set-cookie"].startswith(SESSION_COOKIE + "=")
    assert f"{SESSION_COOKIE}={'A' * 24}" not in response.headers["set-cookie"]
    forged = new_session_cookie(b"attacker-key" * 3)
    assert session_id_of(b"k" * 32, forged) is None
    # the id the store keeps is not the cookie and cannot be used as one
    sid = session_id_of(b"k" * 32, issued)
    assert sid not in issued and session_id_of(b"k" * 32, sid or "") is None


def test_session_cookie_flags(store):
    client = make_client(store)
    cookie = client.get("/").headers["set-cookie"]
    assert cookie.startswith(SESSION_COOKIE + "=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    assert "set-cookie" not in client.get("/").headers  # kept, not reissued
    secure = make_client(store, secure_cookies=True).get("/").headers["set-cookie"]
    assert "Secure" in secure


def test_templates_have_no_inline_script(store):
    client = make_client(store)
    for path in ("/", "/arena", "/arena/leaderboard", "/runs", "/api"):
        html = client.get(path).text
        for tag in html.split("<script")[1:]:
            head = tag.split(">", 1)[0]
            assert 'src="/static/' in head or 'type="application/json"' in head, head
        assert " onclick=" not in html and " onload=" not in html


def test_every_post_needs_the_csrf_token(store):
    client = make_client(store)
    token = csrf(client)
    assert client.post("/api/arena/battles", json={"prompt": "hi"}).status_code == 403
    assert (
        client.post(
            "/api/arena/battles", json={"prompt": "hi"}, headers={"X-CSRF-Token": "0" * 64}
        ).status_code
        == 403
    )
    assert client.post("/arena/battles", data={"prompt": "hi"}).status_code == 403
    assert client.post("/api/arena/battles/x/vote", json={"vote": "a"}).status_code == 403
    # a token from another session is worthless here
    other = make_client(store)
    other.cookies.set(SESSION_COOKIE, "z" * 32)
    assert (
        other.post(
            "/api/arena/battles/x/vote", json={"vote": "a"}, headers={"X-CSRF-Token": token}
        ).status_code
        == 403
    )
    # the right token gets past CSRF (to a 404 for an unknown battle)
    assert (
        client.post(
            "/api/arena/battles/x/vote", json={"vote": "a"}, headers={"X-CSRF-Token": token}
        ).status_code
        == 404
    )


def test_admin_is_off_by_default_and_needs_the_password(store):
    client = make_client(store)
    token = csrf(client)
    assert client.post("/api/admin/arena/reset", headers={"X-CSRF-Token": token}).status_code == 404
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2")
    admin = make_client(store, admin_hash=hashed)
    token = csrf(admin)

    def auth(password):
        return {
            "X-CSRF-Token": token,
            "Authorization": "Basic " + base64.b64encode(f"admin:{password}".encode()).decode(),
        }

    assert admin.post("/api/admin/arena/reset", headers={"X-CSRF-Token": token}).status_code == 401
    assert admin.post("/api/admin/arena/reset", headers=auth("wrong")).status_code == 401
    assert admin.post("/api/admin/arena/reset", headers=auth("correct horse battery")).json() == {
        "deleted": 0
    }
    added = admin.post(
        "/api/admin/arena/models", headers=auth("correct horse battery"), json={"name": "smollm2-135m"}
    )
    assert added.json()["models"] == ["m1", "m2", "smollm2-135m"]
    assert (
        admin.post(
            "/api/admin/arena/models", headers=auth("correct horse battery"), json={"name": "nope"}
        ).status_code
        == 400
    )


def test_admin_password_guesses_are_rate_limited(store):
    admin = make_client(store, admin_hash=hash_password("correct horse battery"))
    token = csrf(admin)
    wrong = {"X-CSRF-Token": token, "Authorization": "Basic " + base64.b64encode(b"admin:guess").decode()}
    codes = [admin.post("/api/admin/arena/reset", headers=wrong).status_code for _ in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]


def test_client_ip_trusts_forwarded_for_only_from_a_trusted_proxy():
    assert client_ip("203.0.113.9", "1.2.3.4", []) == "203.0.113.9"  # no proxy configured
    assert client_ip("203.0.113.9", "1.2.3.4", ["10.0.0.0/8"]) == "203.0.113.9"  # peer not trusted
    assert client_ip("10.0.0.2", "1.2.3.4", ["10.0.0.0/8"]) == "1.2.3.4"
    # the client wrote a fake first hop; the proxy appended the real address: take the right-most
    assert client_ip("10.0.0.2", "6.6.6.6, 198.51.100.7", ["10.0.0.0/8"]) == "198.51.100.7"
    assert client_ip("10.0.0.2", "198.51.100.7, 10.0.0.3", ["10.0.0.0/8"]) == "198.51.100.7"
    assert client_ip("10.0.0.2", "not-an-ip", ["10.0.0.0/8"]) == "10.0.0.2"
    assert ip_prefix("198.51.100.7") == "198.51.100.0/24"
    assert ip_prefix("2001:db8:1:2::5") == "2001:db8:1::/48"


def test_rate_limits_per_session_and_per_ip_prefix():
    limits = RateLimits({"vote": ("3/minute", "5/minute")})
    assert [limits.hit("vote", "s1", "198.51.100.1") for _ in range(4)] == [True, True, True, False]
    # another session in the same /24 shares the IP budget (2 left of 5)
    assert [limits.hit("vote", "s2", "198.51.100.200") for _ in range(3)] == [True, True, False]
    assert limits.hit("vote", "s3", "203.0.113.1")  # another network is not affected


def test_rate_limits_apply_to_the_api(store):
    config = ArenaConfig(models=("m1", "m2"), vote_limit="2/minute", vote_limit_ip="100/minute")
    client = make_client(store, config=config)
    token = csrf(client)
    codes = [
        client.post(
            "/api/arena/battles/nope/vote", json={"vote": "a"}, headers={"X-CSRF-Token": token}
        ).status_code
        for _ in range(3)
    ]
    assert codes == [404, 404, 429]
    ip_config = ArenaConfig(models=("m1", "m2"), vote_limit="100/minute", vote_limit_ip="2/minute")
    c = make_client(store, config=ip_config)
    codes = []
    for _ in range(3):  # a fresh session each time, same address: the IP-prefix limit catches them
        c.cookies.clear()
        codes.append(
            c.post(
                "/api/arena/battles/nope/vote", json={"vote": "a"}, headers={"X-CSRF-Token": csrf(c)}
            ).status_code
        )
    assert codes == [404, 404, 429]


def test_hash_password_command_makes_a_verifiable_argon2_hash():
    from typer.testing import CliRunner

    from assay.cli.main import app
    from assay.web.security import verify_password

    result = CliRunner().invoke(app, ["serve", "hash-password", "--stdin"], input="long enough secret\n")
    assert result.exit_code == 0
    hashed = result.stdout.strip().splitlines()[-1]
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "long enough secret") and not verify_password(hashed, "other")
    short = CliRunner().invoke(app, ["serve", "hash-password", "--stdin"], input="short\n")
    assert short.exit_code != 0


def test_visitor_chosen_names_are_not_cached(store):
    from assay.store.synthetic import seed_run

    seed_run(store, ["alpha", "beta"], ["mmlu_law", "gsm8k"], samples=2)
    client = make_client(store)
    assert client.get("/api/leaderboard", params={"group": "mmlu"}).status_code == 200
    web = client.app.state.web
    for i in range(20):
        assert client.get("/", params={"group": f"g{i}"}).status_code == 404
        assert client.get("/api/leaderboard", params={"group": f"g{i}"}).status_code == 404
        ratings = client.get("/api/arena/ratings", params={"source": f"s{i}"}).json()
        assert ratings["ratings"] == [] and "no battles from source" in ratings["notes"][0]
    board = web.cache._values["eval"][1]
    assert all(key[1] in ("", "mmlu") for key in board.fragments)
    assert not [name for name in web.cache._values if name.startswith("arena:s")]


def test_app_from_env_shares_the_secret_between_workers(tmp_path, monkeypatch):
    """Two workers built from the same environment accept each other's sessions and CSRF tokens."""
    from assay.core.errors import ConfigError
    from assay.web.app import app_from_env

    monkeypatch.setenv("ASSAY_DB", str(tmp_path / "s.db"))
    monkeypatch.setenv("ASSAY_WEB_SECRET", "x" * 40)
    monkeypatch.setenv("ASSAY_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.0.0/16")
    first, second = TestClient(app_from_env()), TestClient(app_from_env())
    token = csrf(first)
    cookie = first.cookies.get(SESSION_COOKIE)
    response = second.get("/api/session", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    assert response.json()["csrf_token"] == token and "set-cookie" not in response.headers
    assert second.app.state.web.arena.config.trusted_proxies == ("10.0.0.0/8", "192.168.0.0/16")
    monkeypatch.setenv("ASSAY_WEB_SECRET", "short")
    with pytest.raises(ConfigError, match="32 characters"):
        app_from_env()
