"""Boards for the library's own website: read-only JSON and an HTML fragment it may frame.

``/embed/boards/<period>.json`` and ``/embed/boards/<period>`` (``?cohort=…&lang=en|zh_Hans&limit=…``;
without ``lang``, the visitor's language)
answer 304 before any query when the caller's ETag is current, as the lobby screens do; the HTML
may be framed by the origins in ``EMBED_FRAME_ANCESTORS`` alone.
"""

from __future__ import annotations

from flask import Flask

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register the embed pages; they are reads a website polls, so the write rate limits leave them alone."""
    from core.embeds import views
    from core.embeds.fastpath import EmbedFastPath

    app.register_blueprint(views.bp)
    app.extensions["engage.limiter"].exempt(views.bp)
    app.wsgi_app = EmbedFastPath(app, app.wsgi_app)  # a current ETag is answered before Flask
