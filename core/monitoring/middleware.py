"""The WSGI layer around the whole app: a request id, the timing, the metrics and the log line of
every request (also those the screens' fast path answers before Flask), and the answers to
``GET /healthz`` and ``GET /metrics``.

Those two are answered here, before Flask: no session (so no cookie), no sign-in, no locale, no
rate limit, no CSRF, no plugin guard. A probe polling every few seconds costs the checks and
nothing else, and its successful polls are logged at DEBUG only.

The request id is the ``X-Request-ID`` a trusted proxy sent (``TRUSTED_PROXIES`` > 0; nginx:
``proxy_set_header X-Request-ID $request_id``), else a new random one; every answer carries it
back in ``X-Request-ID`` and every log line written while answering carries it.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from werkzeug.wsgi import ClosingIterator

from core.monitoring import logs
from core.monitoring.metrics import CONTENT_TYPE, trusts_a_proxy
from core.security.headers import BASIC_HEADERS

log = logging.getLogger(__name__)

REQUEST_ID_KEY = "engage.request_id"
ENDPOINT_KEY = "engage.endpoint"
USER_KEY = "engage.user_id"
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:+/=-]{1,128}$")
_MISSING = object()


class MonitoringMiddleware:
    """Wraps the app's WSGI callable; see the module's docstring."""

    def __init__(self, app, wsgi_app, health, metrics) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.health = health
        self.metrics = metrics
        self.trust_request_id = trusts_a_proxy(app)
        self.log_requests = bool(app.config.get("LOG_REQUESTS"))

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        request_id = self._request_id(environ)
        environ[REQUEST_ID_KEY] = request_id
        logs.current_request_id.set(request_id)
        status = [500]

        def start(status_line, headers, exc_info=None):
            status[0] = int(status_line.split(" ", 1)[0])
            return start_response(status_line, [*headers, (REQUEST_ID_HEADER, request_id)], exc_info)

        own = None
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            path = environ.get("PATH_INFO")
            if path == "/healthz":
                own = "healthz"
            elif path == "/metrics" and self.metrics.enabled:
                own = "metrics"
        try:
            if own:
                environ[ENDPOINT_KEY] = own
                body = self._healthz(environ, start) if own == "healthz" else self._metrics(environ, start)
            else:
                body = self.wsgi_app(environ, start)
        except BaseException:
            self._finish(environ, started, 500, own)
            raise
        return ClosingIterator(body, lambda: self._finish(environ, started, status[0], own))

    def _request_id(self, environ) -> str:
        given = environ.get("HTTP_X_REQUEST_ID", "")
        if self.trust_request_id and _REQUEST_ID.match(given):
            return given
        return uuid.uuid4().hex

    def _finish(self, environ, started: float, status: int, own: str | None) -> None:
        """Count and log the request once its answer is sent (or failed)."""
        seconds = time.perf_counter() - started
        try:
            endpoint = environ.get(ENDPOINT_KEY, _MISSING)
            if endpoint is _MISSING:  # answered before Flask routed it (the screens' fast path)
                endpoint = self._route(environ)
            self.metrics.observe(endpoint or "none", environ.get("REQUEST_METHOD", ""), status, seconds)
            if self.log_requests:
                logs.request_line(method=environ.get("REQUEST_METHOD", ""), path=environ.get("PATH_INFO") or "/",
                                  status=status, seconds=seconds, user_id=environ.get(USER_KEY),
                                  quiet=own is not None and status < 400)
        except Exception:  # the answer has gone; never let its bookkeeping break the server
            log.exception("could not record the request")
        finally:
            logs.current_request_id.set(None)

    def _route(self, environ) -> str | None:
        try:
            return self.app.url_map.bind_to_environ(environ).match()[0]
        except Exception:
            return None

    def _healthz(self, environ, start):
        healthy, answer = self.health.run()
        body = json.dumps(answer, default=str).encode()
        return _answer(environ, start, "200 OK" if healthy else "503 Service Unavailable", body,
                       "application/json")

    def _metrics(self, environ, start):
        if not self.metrics.may_read(environ):
            body = b"Not allowed: /metrics answers the addresses in METRICS_ALLOW or a bearer METRICS_TOKEN.\n"
            return _answer(environ, start, "403 Forbidden", body, "text/plain; charset=utf-8")
        return _answer(environ, start, "200 OK", self.metrics.exposition(), CONTENT_TYPE)


def _answer(environ, start, status: str, body: bytes, content_type: str):
    start(status, [("Content-Type", content_type), ("Content-Length", str(len(body))),
                   ("Cache-Control", "no-store"), *BASIC_HEADERS])
    return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]
