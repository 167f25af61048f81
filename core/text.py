"""User text shown as HTML: Markdown rendered, then sanitised, so nothing a user writes can
run script, carry event handlers or smuggle in styles. A public service for plugins."""

from __future__ import annotations

from html import unescape

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML in the source is shown as text, not passed through; links open outside the site safely.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4",
                "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "del"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str | None) -> Markup:
    """``text`` as safe HTML: CommonMark, headings demoted below the page's own, then cleaned by nh3
    (allowed tags only, no attributes but links, only http(s)/mailto URLs, ``rel="noopener noreferrer nofollow"``)."""
    if not text:
        return Markup("")
    html = _markdown.render(text)
    for level in (2, 1):  # keep user headings below the page's h1/h2
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                      link_rel="noopener noreferrer nofollow")
    return Markup(clean)


def plain_excerpt(text: str | None, length: int = 160) -> str:
    """The first ``length`` characters of ``text`` as plain text (for previews, titles, share cards)."""
    rendered = unescape(nh3.clean(_markdown.render(text or ""), tags=set()))
    words = " ".join(rendered.split())
    return words if len(words) <= length else words[: length - 1].rstrip() + "…"
