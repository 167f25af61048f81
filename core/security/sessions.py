"""Signed-in sessions that end when they should: a per-user generation stamped into the session.

The session is a signed cookie, so a copy of it stays valid as long as its signature does.
Each user row carries ``session_generation``; signing in stamps it into the session, and
``core.accounts.end_sessions`` (sign-out, a new password, a role change, deactivation)
bumps it, so every copy of every session of that user stops working on every worker at
its next request. The check rides on the user query each request makes anyway.
"""

from __future__ import annotations

from flask import session
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, select, true
from sqlalchemy.orm import make_transient_to_detached

from core.db import get_db
from core.ledger_sql import read_one
from core.models import User

GENERATION_KEY = "_engage_generation"
# Kept across sign-in and sign-out: the reader's choice of language belongs to the browser.
_KEPT = ("locale",)

_USER = select(User.__table__).where(User.__table__.c.id == bindparam("id"), User.__table__.c.is_active == true())


def load_user(user_id: str) -> User | None:
    """The signed-in user of a request (Flask-Login's loader), or None when unknown, deactivated,
    or when the session was stamped with an older session generation than the user's.

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
    if session.get(GENERATION_KEY) != user.session_generation:
        return None
    make_transient_to_detached(user)
    return user


def _fresh_session() -> None:
    """Empty the session but for the kept keys; Flask-WTF then makes a new CSRF secret."""
    kept = {key: session[key] for key in _KEPT if key in session}
    session.clear()
    session.update(kept)


def start_session(user: User) -> None:
    """Sign ``user`` in for this browser: a fresh session (new CSRF secret) stamped with the
    user's session generation."""
    _fresh_session()
    login_user(user)
    session[GENERATION_KEY] = user.session_generation


def stop_session() -> None:
    """Sign this browser out and forget everything the session held but the language."""
    logout_user()
    _fresh_session()


def restamp(user: User) -> None:
    """Keep this browser signed in after ``end_sessions`` (a password changed here, say)."""
    session[GENERATION_KEY] = user.session_generation
