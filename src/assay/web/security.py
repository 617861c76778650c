"""Security headers, the anonymous session cookie, CSRF tokens and the admin password check."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request
from starlette.responses import Response

SESSION_COOKIE = "assay_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
ADMIN_ENV = "ASSAY_ADMIN_PASSWORD_HASH"

# No inline script or style anywhere: every script is a static file from our own origin. Vega renders
# with its AST interpreter, so no 'unsafe-eval' either.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def new_session_cookie(secret: bytes) -> str:
    """A random value and its signature: the server only accepts cookies it issued itself, so a
    visitor cannot be handed (fixated on) a session someone else chose."""
    value = secrets.token_urlsafe(24)
    return f"{value}.{_sign(secret, value)}"


def _sign(secret: bytes, value: str) -> str:
    return hmac.new(secret, b"session:" + value.encode(), hashlib.sha256).hexdigest()[:32]


def session_id_of(secret: bytes, cookie: str) -> str | None:
    """The id the app works with (votes, battles, limits): derived from a valid cookie, never the
    cookie itself, so what the store keeps cannot be replayed as a cookie."""
    value, _, signature = cookie.partition(".")
    if not (20 <= len(value) <= 64 and all(c.isalnum() or c in "-_" for c in value)):
        return None
    if not hmac.compare_digest(signature, _sign(secret, value)):
        return None
    return hmac.new(secret, b"id:" + value.encode(), hashlib.sha256).hexdigest()[:32]


def session_middleware(
    secret: bytes, secure_cookies: bool
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        session = session_id_of(secret, cookie)
        fresh = session is None
        if session is None:
            cookie = new_session_cookie(secret)
            session = session_id_of(secret, cookie)
            assert session is not None
        request.state.session_id = session
        request.state.csrf = csrf_token(secret, session)
        response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if fresh:
            response.set_cookie(
                SESSION_COOKIE,
                cookie,
                httponly=True,
                samesite="strict",
                secure=secure_cookies or request.url.scheme == "https",
                path="/",
                max_age=30 * 24 * 3600,
            )
        return response

    return middleware


def csrf_token(secret: bytes, session_id: str) -> str:
    """Bound to the session: a token from one visitor is useless in another's request."""
    return hmac.new(secret, b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()


async def check_csrf(request: Request) -> None:
    """FastAPI dependency for every POST/DELETE: the header (fetch) or the form field (plain forms)."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, request.state.csrf):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token")


def admin_hash() -> str | None:
    return os.environ.get(ADMIN_ENV) or None


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return PasswordHasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
