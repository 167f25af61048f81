"""Stored files (pictures, photos, badge artwork) served with the visibility of what they belong to.

Every route of core or a plugin that answers with a stored file's bytes goes through
``file_response``: 404 unless the viewer may see the thing the file belongs to (a draft
episode, a reader's design waiting for moderation…), ``Cache-Control: public`` only when anyone
may see it, ``private`` otherwise, so no shared cache keeps a file for the next person.
``init_app`` adds a safety net: an image answer that says neither is made private.
"""

from __future__ import annotations

import hashlib

from flask import Flask, abort, make_response, request

PUBLIC_MAX_AGE = 3600


def file_response(data: bytes, content_type: str, *, visible: bool, public: bool, etag: str | None = None,
                  max_age: int = PUBLIC_MAX_AGE, filename: str | None = None):
    """The file as a response, or 404 when ``visible`` is false (so hidden files are not even confirmed).

    ``public`` means anyone at all may see it: shared caches may keep it for ``max_age`` seconds.
    Otherwise only the viewer's own browser may keep it, and must ask again each time
    (``private, no-cache``), since who may see it can change (a design rejected, an episode
    moved back to draft). Answers ``If-None-Match`` with 304 through the ETag.
    """
    if not visible:
        abort(404)
    response = make_response(data)
    response.headers["Content-Type"] = content_type
    response.headers["X-Content-Type-Options"] = "nosniff"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.set_etag(etag or hashlib.sha256(data).hexdigest()[:32])
    cache = response.cache_control
    if public:
        cache.public, cache.max_age = True, max_age
    else:
        cache.private, cache.no_cache = True, True
        response.vary.add("Cookie")
    return response.make_conditional(request)


def _private_unless_said(response):
    """A file answer that forgot to say who may cache it is treated as private."""
    if response.mimetype.startswith("image/"):
        cache = response.cache_control
        if not (cache.public or cache.private or cache.no_store):
            cache.private = True
    return response


def init_app(app: Flask) -> None:
    """Install the safety net for image answers that set no cache visibility."""
    app.after_request(_private_unless_said)
