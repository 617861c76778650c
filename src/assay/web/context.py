"""What every router shares: the app's state (store, arena, limits, templates, cache), page rendering
and the visitor's language. Routers import this module; `app` imports the routers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from markupsafe import Markup

from assay.api import ArenaService, Store
from assay.api.arena import RateLimits
from assay.web import i18n
from assay.web.data import Cached
from assay.web.render import render_markdown

HERE = Path(__file__).parent


@dataclass
class WebState:
    store: Store
    arena: ArenaService
    limits: RateLimits
    templates: jinja2.Environment
    admin_hash: str | None
    cache: Cached = field(default_factory=Cached)


def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        auto_reload=False,
    )
    env.filters["markdown"] = render_markdown
    env.filters["num"] = lambda v, d=3: "–" if v is None or v != v else f"{v:.{d}f}"
    return env


def state(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


def language(request: Request) -> str:
    return i18n.pick(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))


def render(request: Request, template: str, context: dict[str, Any]) -> str:
    lang = language(request)
    page = state(request).templates.get_template(template)
    return page.render(
        t=i18n.translator(lang),
        lang=lang,
        languages=i18n.LANGUAGES,
        csrf=request.state.csrf,
        path=request.url.path,
        query=request.url.query,
        **context,
    )


def render_fragment(request: Request, template: str, context: dict[str, Any]) -> Markup:
    """A cacheable piece of a page: depends on the language only, never on the visitor."""
    lang = language(request)
    page = state(request).templates.get_template(template)
    return Markup(page.render(t=i18n.translator(lang), lang=lang, **context))
