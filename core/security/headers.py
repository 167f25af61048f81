"""What every response tells the browser: a strict Content-Security-Policy, no sniffing, no
referrers to other sites, no powerful features, no framing, and cookies kept to HTTPS when
the request came over HTTPS.

The policy allows scripts, styles, fonts and requests from this site only, pictures from
this site and ``data:`` (charts are SVG images, see ``core.charts``), and no inline script
or style at all: templates carry behaviour in static files and looks in stylesheets. The
lobby screen page (``/screen/<token>``) may be framed by the origins a library lists in
``SCREEN_FRAME_ANCESTORS``, an embeddable board (``/embed/boards/<period>``) by those in
``EMBED_FRAME_ANCESTORS``; every other page by none.
"""

from __future__ import annotations

import re

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

# Sent on every response, also by the screens' WSGI fast path, which answers before Flask.
BASIC_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
)
PERMISSIONS_POLICY = ("accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
                      "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=()")
_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
           "connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
           "frame-ancestors {ancestors}")
# The pages that may be framed, each by the origins its setting lists: the TV page (not its
# librarians' pages) and the embeddable board.
FRAMEABLE_ENDPOINTS = {"screen.show": "SCREEN_FRAME_ANCESTORS", "embed.board": "EMBED_FRAME_ANCESTORS"}
_ORIGIN = re.compile(r"^(https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?|'self')$")


def frame_ancestors(origins, setting: str = "SCREEN_FRAME_ANCESTORS") -> str:
    """The ``frame-ancestors`` sources for a list of origins (``https://signage.example``,
    ``'self'``); refuses anything else, so a typo cannot open the page to every site."""
    if isinstance(origins, str):
        origins = origins.split()
    cleaned = []
    for origin in origins or ():
        origin = origin.strip().rstrip("/")
        if not _ORIGIN.match(origin):
            raise ValueError(f"{setting}: {origin!r} is not an origin like https://signage.example "
                             "or 'self'")
        cleaned.append(origin)
    return " ".join(cleaned) or "'none'"


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marked ``Secure`` as ``SECURE_COOKIES`` says: always, never,
    or (left empty) whenever the request came over HTTPS, as a trusted proxy reports it."""

    def get_cookie_secure(self, app: Flask) -> bool:
        setting = app.config.get("SECURE_COOKIES")
        if setting is None:
            return request.is_secure
        return bool(setting)


def init_app(app: Flask) -> None:
    """Add the headers to every response the app makes."""
    policy = _POLICY.format(ancestors="'none'")
    framed_policies = {endpoint: _POLICY.format(ancestors=frame_ancestors(app.config.get(setting), setting))
                       for endpoint, setting in FRAMEABLE_ENDPOINTS.items()}
    hsts = int(app.config.get("HSTS_SECONDS") or 0)
    app.session_interface = SessionCookies()

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        for name, value in BASIC_HEADERS:
            headers.setdefault(name, value)
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        framed_policy = framed_policies.get(request.endpoint)
        if framed_policy is not None:
            headers.setdefault("Content-Security-Policy", framed_policy)
        else:
            headers.setdefault("Content-Security-Policy", policy)
            headers.setdefault("X-Frame-Options", "DENY")
        if hsts and request.is_secure:
            headers.setdefault("Strict-Transport-Security", f"max-age={hsts}")
        return response
