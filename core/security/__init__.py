"""Sign-in and browser security, set up once per app by ``init_app``.

Offers ``role_required`` (a view decorator), ``safe_redirect``/``local_target`` (redirects to
targets from input), ``rate_limit`` and the limiter's keys, and the session helpers; its
modules: headers, redirects, sessions, limits (with limit_store), passwords, inputs (hostile
input refused centrally: bounded integers, no NUL bytes).
"""

from __future__ import annotations

from functools import wraps

from flask import Flask, abort, current_app
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from core.models import Role
from core.security import headers, inputs, limits
from core.security.limits import rate_limit
from core.security.redirects import local_target, safe_redirect
from core.security.sessions import load_user

__all__ = ["init_app", "load_user", "local_target", "rate_limit", "role_required", "safe_redirect"]


def init_app(app: Flask) -> None:
    """CSRF on every state-changing request, Flask-Login sessions that end when they should,
    security headers, the rate limiter with its shared store, and bounded input."""
    inputs.init_app(app)
    CSRFProtect(app)
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = _l("Please sign in to continue.")
    login.login_message_category = "info"
    login.user_loader(load_user)
    headers.init_app(app)
    limits.init_app(app)


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
