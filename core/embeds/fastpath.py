"""WSGI middleware for a website's repeated ``GET /embed/boards/<period>[.json]?lang=…``.

The board on a library's home page is asked for by every visitor and nearly always unchanged.
Like the screens' ``SlidePollFastPath``, this answers 304 from the worker's version signals
before Flask builds a request (no routing, session, sign-in or plugin guard) when the caller's
ETag is current. Only addresses that name their ``lang`` take this path (without it the answer
follows the visitor's session and browser); anything else goes on to the view, which gives the
same answers the slow way.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from werkzeug.http import parse_etags

from core.boards import PERIODS
from core.security.headers import BASIC_HEADERS


class EmbedFastPath:
    def __init__(self, app, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        prefix = re.escape(app.config.get("APPLICATION_ROOT", "/").rstrip("/"))
        self.pattern = re.compile(rf"^{prefix}/embed/boards/({'|'.join(PERIODS)})(\.json)?$")

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("HTTP_IF_NONE_MATCH"):
            found = self.pattern.match(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
            if found:
                current = self._etag(found.group(1), "json" if found.group(2) else "html", environ)
                if current is not None and parse_etags(environ["HTTP_IF_NONE_MATCH"]).contains(current):
                    start_response("304 Not Modified", [("ETag", f'"{current}"'), ("Cache-Control", "no-cache"),
                                                        *BASIC_HEADERS])
                    return [b""]
        return self.wsgi_app(environ, start_response)

    def _etag(self, period: str, kind: str, environ) -> str | None:
        from core.embeds.views import LIMIT, MAX_LIMIT, etag

        args = parse_qs(environ.get("QUERY_STRING", ""))
        lang = (args.get("lang") or [""])[0]
        if lang not in self.app.config["LANGUAGES"]:
            return None
        cohort = (args.get("cohort") or [""])[0].strip()[:100] or None
        try:
            limit = int((args.get("limit") or [LIMIT])[0]) or LIMIT
        except ValueError:
            limit = LIMIT
        limit = max(1, min(MAX_LIMIT, limit))
        with self.app.app_context():
            return etag(kind, period, cohort, lang, limit)
