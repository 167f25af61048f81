"""Running it: ``/healthz`` for load balancers, ``/metrics`` for Prometheus, and request logs.

Offers ``health.add_check(name, fn, app=…)`` and ``metrics.add_gauge(name, help, fn, app=…)`` so
that other parts (the job queue, a plugin) report their own state; ``init_app`` sets it all up.
Modules: health, metrics, logs, middleware, settings. docs/operations.md ("What to monitor") tells the settings.
"""

from __future__ import annotations

from flask import Flask, g, request, session

from core.monitoring import health, logs, metrics, settings
from core.monitoring.middleware import ENDPOINT_KEY, USER_KEY, MonitoringMiddleware


def init_app(app: Flask) -> None:
    """Health checks, metrics and request logs for ``app``; wraps ``app.wsgi_app`` (call it before
    ``trust_proxies``, so the client's address is already the one a trusted proxy reported)."""
    settings.apply_defaults(app)
    logs.configure(app)
    checks = health.of(app)
    collector = metrics.of(app)
    app.teardown_request(_note_endpoint_and_user)
    app.wsgi_app = MonitoringMiddleware(app, app.wsgi_app, checks, collector)


def _note_endpoint_and_user(_exc) -> None:
    """Leave the matched endpoint and the signed-in account for the middleware's metrics and log
    line: the user this request loaded, else the account its signed session cookie names (a
    view that never needed the user, a static file); never a query just for that."""
    environ = request.environ
    environ[ENDPOINT_KEY] = request.endpoint
    user = g.get("_login_user")  # Flask-Login's cache of current_user
    if user is not None:
        environ[USER_KEY] = user.id if getattr(user, "is_authenticated", False) else None
    else:  # the answer is already made: reading the session now changes none of its headers
        claimed = session.get("_user_id")
        environ[USER_KEY] = int(claimed) if isinstance(claimed, str) and claimed.isdigit() else None
