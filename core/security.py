"""Sign-in, roles, CSRF and rate limits, set up once per app."""

from __future__ import annotations

from functools import wraps

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import bindparam, select, true
from sqlalchemy.orm import make_transient_to_detached

from core.db import get_db
from core.ledger_sql import read_one
from core.models import Role, User


def init_app(app: Flask) -> None:
    """CSRF on every state-changing request, Flask-Login sessions and a per-app rate limiter."""
    CSRFProtect(app)
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = _l("Please sign in to continue.")
    login.login_message_category = "info"

    login.user_loader(load_user)

    app.extensions["engage.limiter"] = Limiter(
        get_remote_address, app=app, storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        default_limits=[], headers_enabled=app.config["RATELIMIT_HEADERS_ENABLED"])


_USER = select(User.__table__).where(User.__table__.c.id == bindparam("id"), User.__table__.c.is_active == true())


def load_user(user_id: str) -> User | None:
    """The signed-in user of a request (Flask-Login's loader), or None when unknown or deactivated.

    Read on a connection of its own, outside the request's session: a write request's session
    takes SQLite's write lock with its first statement, and every request loads its user, so
    the lock is held only while a view writes. The user comes back detached, as if loaded and
    its session closed: a view that changes it adds it to its own session (``db.add(user)``).
    """
    if not user_id.isdigit():
        return None
    row = read_one(get_db().engine, "core.user", _USER, {"id": int(user_id)})
    if row is None:
        return None
    user = User(**dict(zip(_USER.selected_columns.keys(), row)))
    make_transient_to_detached(user)
    return user


def user_or_address() -> str:
    """The rate-limit key of a request: the signed-in account (however many addresses it uses),
    else the client's address."""
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def rate_limit(app: Flask, endpoint: str, limit: str, *, per_user: bool = False) -> None:
    """Limit POSTs to ``endpoint`` (e.g. ``"auth.login"``) to ``limit`` per client address, or with
    ``per_user`` per signed-in account (uploads: one person, not one address, is limited).

    Plugins call this from their start-up code for votes, submissions and uploads.
    """
    limiter: Limiter = app.extensions["engage.limiter"]
    key = user_or_address if per_user else None
    app.view_functions[endpoint] = limiter.limit(limit, methods=["POST"], key_func=key)(app.view_functions[endpoint])


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
