"""The FastAPI application: pages, the JSON API, static files, security middleware."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from assay.api import ArenaConfig, ArenaService, Store, open_store
from assay.api.arena import RateLimits
from assay.core.errors import ConfigError
from assay.web import api, arena_routes, history_pages, pages, security
from assay.web.context import HERE, WebState, render, templates


def create_app(
    store: Store,
    arena: ArenaConfig | None = None,
    *,
    admin_hash: str | None = None,
    secret: bytes | None = None,
    secure_cookies: bool = False,
    rate_limit_storage: str = "store",
) -> FastAPI:
    """The whole site over one open store. `admin_hash` (argon2) turns the admin API on.
    `rate_limit_storage` keeps the rate limits' counts in the store ("store": shared by every worker
    and server on it), in this process ("memory://") or in a `limits` storage (redis://HOST:PORT,
    memcached://HOST:PORT)."""
    config = arena or ArenaConfig()
    service = ArenaService(store, config)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await service.aclose()

    app = FastAPI(
        title="assay",
        description="Evaluation leaderboards, run explorer and the live arena.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )  # Swagger UI needs inline script
    app.state.web = WebState(
        store=store,
        arena=service,
        templates=templates(),
        admin_hash=admin_hash,
        limits=RateLimits(
            {
                "battle": (config.battle_limit, config.battle_limit_ip),
                "vote": (config.vote_limit, config.vote_limit_ip),
                # Each admin password check costs ~0.5 s and 64 MiB of argon2: few guesses, per network too.
                "admin": ("10/minute", "20/minute"),
            },
            storage=rate_limit_storage,
            store=store,
        ),
    )
    app.middleware("http")(security.session_middleware(secret or secrets.token_bytes(32), secure_cookies))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(arena_routes.router)
    app.include_router(pages.router)
    app.include_router(history_pages.router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        body = render(request, "error.html", {"status": exc.status_code, "detail": exc.detail})
        return HTMLResponse(body, status_code=exc.status_code, headers=exc.headers)

    return app


def app_from_env() -> FastAPI:
    """For `uvicorn --factory assay.web.app:app_from_env` (e.g. several workers behind a proxy):
    settings from ASSAY_* variables. ASSAY_WEB_SECRET (at least 32 characters) must be the same in
    every worker, or a session and its CSRF token from one worker are refused by the next. Rate
    limits (ASSAY_ARENA_BATTLE_LIMIT, ASSAY_ARENA_VOTE_LIMIT and their _IP variants, e.g. 10/minute)
    hold across workers: their counts live in the store (ASSAY_DB), or in the storage that
    ASSAY_RATE_LIMIT_STORAGE names (redis://HOST:PORT or memcached://HOST:PORT, with the `redis` or
    `pymemcache` package; memory:// keeps them per worker)."""
    env = os.environ
    models = tuple(m for m in env.get("ASSAY_ARENA_MODELS", "").split(",") if m)
    proxies = tuple(p.strip() for p in env.get("ASSAY_TRUSTED_PROXIES", "").split(",") if p.strip())
    defaults = ArenaConfig()
    config = ArenaConfig(
        models=models,
        battle_limit=env.get("ASSAY_ARENA_BATTLE_LIMIT", defaults.battle_limit),
        battle_limit_ip=env.get("ASSAY_ARENA_BATTLE_LIMIT_IP", defaults.battle_limit_ip),
        vote_limit=env.get("ASSAY_ARENA_VOTE_LIMIT", defaults.vote_limit),
        vote_limit_ip=env.get("ASSAY_ARENA_VOTE_LIMIT_IP", defaults.vote_limit_ip),
        trusted_proxies=proxies,
    )
    secret = env.get("ASSAY_WEB_SECRET")
    if secret is not None and len(secret) < 32:
        raise ConfigError("ASSAY_WEB_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`)")
    return create_app(
        open_store(env.get("ASSAY_DB")),
        config,
        admin_hash=security.admin_hash(),
        secret=secret.encode() if secret else None,
        secure_cookies=env.get("ASSAY_SECURE_COOKIES", "").lower() in ("1", "true", "yes"),
        rate_limit_storage=env.get("ASSAY_RATE_LIMIT_STORAGE") or "store",
    )
