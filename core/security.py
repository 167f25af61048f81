"""Sign-in, roles, CSRF and rate limits, set up once per app."""

from __future__ import annotations

from functools import wraps

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from core.db import get_session
from core.models import Role, User


def init_app(app: Flask) -> None:
    """CSRF on every state-changing request, Flask-Login sessions and a per-app rate limiter."""
    CSRFProtect(app)
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = _l("Please sign in to continue.")
    login.login_message_category = "info"

    @login.user_loader
    def _load(user_id: str):
        user = get_session().get(User, int(user_id)) if user_id.isdigit() else None
        return user if user and user.is_active else None

    app.extensions["engage.limiter"] = Limiter(
        get_remote_address, app=app, storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        default_limits=[], headers_enabled=app.config["RATELIMIT_HEADERS_ENABLED"])


def rate_limit(app: Flask, endpoint: str, limit: str) -> None:
    """Limit POSTs to ``endpoint`` (e.g. ``"auth.login"``) to ``limit`` per client address.

    Plugins call this from their start-up code for votes and submissions.
    """
    limiter: Limiter = app.extensions["engage.limiter"]
    app.view_functions[endpoint] = limiter.limit(limit, methods=["POST"])(app.view_functions[endpoint])


def role_required(role: Role | str):
    """Only users with ``role`` or above reach the view; others sign in or get 403."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def safe_next(default: str = "main.home") -> str:
    """Where to go after signing in: a local path from ``next``, never another site."""
    target = request.args.get("next") or request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for(default)


def redirect_next():
    return redirect(safe_next())
