"""Secrets the plugin hands out: the rotating check-in code, readers' personal codes and feed tokens.

A reader's personal code and feed token are HMACs of their id (and of how often they replaced it,
``ReaderSecret``): nothing to store, nothing to leak from the database, and a reader who shared one
by mistake makes a new one and the old one stops working.

The check-in code works like TOTP (RFC 6238): an HMAC of the event's id and the current
30-second step under the app's secret key, so every worker computes the same code without a
table or a shared cache. The current and the previous step are accepted (a reader scanning as
the code turns over still gets in); a photo sent to a friend stops working within a minute,
and no code works outside the event's check-in window.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import datetime, timedelta

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session

from core.ledger_sql import insert_for

from .models import ReaderSecret

STEP_SECONDS = 30  # the default; ``EVENTS_CODE_SECONDS`` changes it
CODE_LENGTH = 10
# What a reader can replace: their personal code and their calendar address.
REPLACEABLE = {"code": "code_version", "feed": "feed_version"}


def _same(given: str, expected: str) -> bool:
    """A constant-time comparison that also takes text no code could be (any character at all)."""
    return hmac.compare_digest((given or "").strip().lower().encode(), expected.encode())


def _key() -> bytes:
    return str(current_app.config["SECRET_KEY"]).encode()


def _mac(purpose: str, *parts) -> str:
    message = "|".join([purpose, *map(str, parts)]).encode()
    digest = hmac.new(_key(), message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode().rstrip("=").lower()


def step_seconds() -> int:
    """How long one code lasts (``EVENTS_CODE_SECONDS``, 30 by default)."""
    return int(current_app.config.get("EVENTS_CODE_SECONDS", STEP_SECONDS))


def step_at(moment: float | None = None) -> int:
    """The step (30 seconds by default) ``moment`` (a Unix time, now by default) falls in."""
    return int((time.time() if moment is None else moment) // step_seconds())


def checkin_code(event_id: int, step: int | None = None) -> str:
    """The code a reader scans to check in to ``event_id`` during ``step`` (now by default)."""
    return _mac("events:checkin", event_id, step_at() if step is None else step)[:CODE_LENGTH]


def code_matches(event_id: int, code: str, moment: float | None = None) -> bool:
    """True when ``code`` is ``event_id``'s code for the current or the previous step."""
    now = step_at(moment)
    return any(_same(code, checkin_code(event_id, s)) for s in (now, now - 1))


def checkin_window(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    """When codes for an event are accepted: from a little before it starts to a little after it ends."""
    before = timedelta(minutes=current_app.config.get("EVENTS_CHECKIN_OPENS_MINUTES", 30))
    after = timedelta(minutes=current_app.config.get("EVENTS_CHECKIN_CLOSES_MINUTES", 30))
    return starts_at - before, ends_at + after


def _versioned(purpose: str, user_id: int, version: int) -> str:
    """A reader's secret; its ``version`` (how often they replaced it) is left out until it is
    first moved, so the codes made before readers could replace them still work."""
    return _mac(purpose, user_id, version) if version else _mac(purpose, user_id)


def reader_code(user_id: int, version: int = 0) -> str:
    """The reader's personal code (after ``version`` replacements): a librarian scanning it can
    check them in."""
    return _versioned("events:reader", user_id, version)[:16]


def feed_token(user_id: int, version: int = 0) -> str:
    """The secret part of the reader's calendar feed address (after ``version`` replacements)."""
    return _versioned("events:feed", user_id, version)[:24]


def versions(session: Session, user_id: int) -> ReaderSecret:
    """How often the reader replaced their code and address (an unsaved row of noughts: never)."""
    return session.get(ReaderSecret, user_id) or ReaderSecret(user_id=user_id)


def current_reader_code(session: Session, user_id: int) -> str:
    return reader_code(user_id, versions(session, user_id).code_version)


def current_feed_token(session: Session, user_id: int) -> str:
    return feed_token(user_id, versions(session, user_id).feed_version)


def reader_code_matches(session: Session, user_id: int, code: str) -> bool:
    return _same(code, current_reader_code(session, user_id))


def feed_token_matches(session: Session, user_id: int, token: str) -> bool:
    return _same(token, current_feed_token(session, user_id))


def personal_url(session: Session, user_id: int) -> str:
    """The address the reader's personal QR code holds, which a librarian scans."""
    return url_for("events.reader", user_id=user_id, code=current_reader_code(session, user_id), _external=True)


def feed_url(session: Session, user_id: int) -> str:
    """The reader's calendar feed address."""
    return url_for("events.feed", user_id=user_id, token=current_feed_token(session, user_id), _external=True)


def replace(session: Session, user_id: int, which: str) -> None:
    """Give the reader a new personal code (``which="code"``) or calendar address (``"feed"``); the
    old one stops working. One statement, so two presses at once both count and neither fails."""
    column = REPLACEABLE[which]
    table = ReaderSecret.__table__
    values = {"user_id": user_id, "code_version": 0, "feed_version": 0, column: 1}
    stmt = insert_for(session)(table).values(**values)
    session.execute(stmt.on_conflict_do_update(index_elements=["user_id"],
                                               set_={column: table.c[column] + 1}))
    session.get(ReaderSecret, user_id, populate_existing=True)  # a row read before is current again


def _live_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(_key(), salt="events:live-code")


def live_token(event_id: int) -> str:
    """A token for a screen slide's live code: whoever holds it (a screen's secret page) may read
    the current code of this one event, which is what the screen shows anyway."""
    return _live_serializer().dumps(event_id)


def read_live_token(token: str) -> int | None:
    try:
        value = _live_serializer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None
