"""The FastAPI application: pages, the JSON API, static files, security middleware."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from assay.arena import ArenaConfig, ArenaService
from assay.arena.abuse import RateLimits
from assay.store import Store
from assay.web import i18n
from assay.web.data import Cached
from assay.web.render import render_markdown
from assay.web.security import session_middleware

HERE = Path(__file__).parent


@dataclass
class WebState:
    store: Store
    arena: ArenaService
    limits: RateLimits
    templates: jinja2.Environment
    admin_hash: str | None
    cache: Cached = field(default_factory=Cached)
    optional_pages: dict[str, bool] = field(default_factory=dict)


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        auto_reload=False,
    )
    env.filters["markdown"] = render_markdown
    env.filters["num"] = lambda v, d=3: "–" if v is None or v != v else f"{v:.{d}f}"
    return env


def _module_present(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def create_app(
    store: Store,
    arena: ArenaConfig | None = None,
    *,
    admin_hash: str | None = None,
    secret: bytes | None = None,
    secure_cookies: bool = False,
) -> FastAPI:
    """The whole site over one open store. `admin_hash` (argon2) turns the admin API on."""
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
        templates=_templates(),
        admin_hash=admin_hash,
        limits=RateLimits(
            {
                "battle": (config.battle_limit, config.battle_limit_ip),
                "vote": (config.vote_limit, config.vote_limit_ip),
                # Each admin password check costs ~0.5 s and 64 MiB of argon2: few guesses, per network too.
                "admin": ("10/minute", "20/minute"),
            }
        ),
        optional_pages={
            "transparency": _module_present("assay.transparency"),
            "trends": _module_present("assay.trends"),
            "safety": _module_present("assay.safety"),
        },
    )
    app.middleware("http")(session_middleware(secret or secrets.token_bytes(32), secure_cookies))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    from assay.web import api, arena_routes, pages

    app.include_router(api.router)
    app.include_router(arena_routes.router)
    app.include_router(pages.router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        body = render(request, "error.html", {"status": exc.status_code, "detail": exc.detail})
        return HTMLResponse(body, status_code=exc.status_code, headers=exc.headers)

    return app


def state(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


def render(request: Request, template: str, context: dict[str, Any]) -> str:
    web = state(request)
    lang = i18n.pick(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))
    page = web.templates.get_template(template)
    return page.render(
        t=i18n.translator(lang),
        lang=lang,
        languages=i18n.LANGUAGES,
        csrf=request.state.csrf,
        path=request.url.path,
        query=request.url.query,
        optional=web.optional_pages,
        **context,
    )


def render_fragment(request: Request, template: str, context: dict[str, Any]) -> Markup:
    """A cacheable piece of a page: depends on the language only, never on the visitor."""
    web = state(request)
    lang = i18n.pick(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))
    html = web.templates.get_template(template).render(t=i18n.translator(lang), lang=lang, **context)
    return Markup(html)


def language(request: Request) -> str:
    return i18n.pick(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))


def app_from_env() -> FastAPI:
    """For `uvicorn --factory assay.web.app:app_from_env` (e.g. several workers behind a proxy):
    settings from ASSAY_* variables. ASSAY_WEB_SECRET (at least 32 characters) must be the same in
    every worker, or a session and its CSRF token from one worker are refused by the next; rate
    limits are kept per worker."""
    from assay.core.errors import ConfigError
    from assay.web.security import admin_hash

    env = os.environ
    models = tuple(m for m in env.get("ASSAY_ARENA_MODELS", "").split(",") if m)
    proxies = tuple(p.strip() for p in env.get("ASSAY_TRUSTED_PROXIES", "").split(",") if p.strip())
    defaults = ArenaConfig()
    config = ArenaConfig(
        models=models,
        vote_limit=env.get("ASSAY_ARENA_VOTE_LIMIT", defaults.vote_limit),
        vote_limit_ip=env.get("ASSAY_ARENA_VOTE_LIMIT_IP", defaults.vote_limit_ip),
        trusted_proxies=proxies,
    )
    secret = env.get("ASSAY_WEB_SECRET")
    if secret is not None and len(secret) < 32:
        raise ConfigError("ASSAY_WEB_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`)")
    return create_app(
        Store.open(env.get("ASSAY_DB")),
        config,
        admin_hash=admin_hash(),
        secret=secret.encode() if secret else None,
        secure_cookies=env.get("ASSAY_SECURE_COOKIES", "").lower() in ("1", "true", "yes"),
    )
