"""Untrusted text (model answers, prompts) to safe HTML: markdown with raw HTML off, then nh3."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_TAGS = {
    "p",
    "br",
    "hr",
    "em",
    "strong",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
    "s",
}
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
LINK_REL = "noopener noreferrer nofollow ugc"


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # commonmark with html off: "<script>" in an answer is text, not a tag; tables for answers that use them
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")
    # markdown-it's own check already drops javascript:/vbscript:/data: links; nh3 repeats it below
    return md


def render_markdown(text: str | None) -> Markup:
    if not text:
        return Markup("")
    html = _parser().render(text)
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return Markup(clean)
