"""The outbox: rows queued in the caller's transaction, delivered later by ``deliver_pending``.

A request never talks to the mail server: it only inserts a row (with the notification that
caused it, so both commit or neither). A deliverer claims rows in one short transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's write lock serialises claims), so two
deliverers never take the same row; it then sends and marks each row sent. A deliverer that
dies between sending and marking leaves the row ``sending``; after ``MAIL_CLAIM_TIMEOUT_SECONDS``
another takes it again (at most that message can go twice, never none).
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import Integer, String, and_, bindparam, exists, insert, literal, or_, select, update
from sqlmodel import Session

from core.hookspecs import hookimpl
from core.mail import compose, kinds
from core.mail.models import MailOutbox, MailPreference
from core.models import Notification, User, UTCDateTime, utcnow

log = logging.getLogger(__name__)
_INSERT = insert(MailOutbox.__table__)
ADDRESS_TAKEN = "core:address-taken"


def _queue_if_wanted(default_immediate: bool):
    """One INSERT … SELECT that queues a notification's email only if its reader wants that kind
    at once: the preference is read in the same statement, so the award path pays one round trip."""
    table, prefs = MailOutbox.__table__, MailPreference.__table__.c
    user_id, kind = bindparam("user_id", type_=Integer()), bindparam("kind", type_=String())
    now = bindparam("now", type_=UTCDateTime())  # stored exactly as the ORM stores times (SQLite compares text)
    stopped = exists().where(prefs.user_id == user_id, or_(
        and_(prefs.kind == kinds.ALL, prefs.cadence == "never"),
        and_(prefs.kind == kind, prefs.cadence != "immediate")))
    wanted = ~stopped if default_immediate else and_(~stopped, exists().where(
        prefs.user_id == user_id, prefs.kind == kind, prefs.cadence == "immediate"))
    row = select(user_id, literal("notification"), kind, bindparam("notification_id", type_=Integer()),
                 literal("pending"), literal(0), now, now).where(wanted)
    return insert(table).from_select(["user_id", "message", "kind", "notification_id", "status", "attempts",
                                      "created_at", "due_at"], row)


_QUEUE = {True: _queue_if_wanted(True), False: _queue_if_wanted(False)}


@hookimpl
def engage_notifications_created(session, notifications):
    """Queue an email of each notification whose reader wants its kind at once (one statement
    for the lot when they share a default)."""
    if not current_app.config["MAIL_NOTIFICATIONS"]:
        return
    now, by_default = utcnow(), {True: [], False: []}
    for note in notifications:
        kind = kinds.resolve(note.plugin, note.kind)
        by_default[kind.default == "immediate"].append(
            {"user_id": note.user_id, "kind": kind.key, "notification_id": note.id, "now": now})
    queued = 0
    for immediate, rows in by_default.items():
        if rows:
            # one row: execute (its rowcount is exact); many: executemany (a driver may answer -1)
            queued |= session.execute(_QUEUE[immediate], rows[0] if len(rows) == 1 else rows).rowcount
    if queued:
        _wake(session)


def queue_letter(session: Session, *, user_id: int | None, message: str, kind: str, letter: compose.Letter) -> None:
    """Queue an already rendered message (a digest, a notice) in the caller's transaction."""
    now = utcnow()
    session.execute(_INSERT, {"user_id": user_id, "message": message, "kind": kind, "to_address": letter.to,
                              "subject": letter.subject[:300], "text_body": letter.text,
                              "html_body": letter.html,
                              "headers": json.dumps(letter.headers),
                              "status": "pending", "attempts": 0, "created_at": now, "due_at": now})
    _wake(session)


def _wake(session: Session) -> None:
    from core.mail.jobs import wake_after_commit  # the queue sits beside the mail, not below it

    wake_after_commit(session)


def send_address_taken_notice(user, *, session: Session | None = None) -> bool:
    """Tell ``user`` by email that someone tried to register with their address ("if it was you,
    sign in or reset your password"); returns False when one was already sent within the hour
    (so nobody can flood an inbox through the registration form).

    Queued in ``session``'s transaction when given (the caller commits); otherwise in the
    current request's session, committed here, or, outside a request, in a transaction of its
    own. Answer the visitor exactly as for a new address, so the form reveals nothing.
    """
    if session is not None:
        return _queue_address_taken(session, user)
    from flask import g, has_request_context

    if has_request_context() and "db_session" in g:  # a second write transaction would wait on the first
        queued = _queue_address_taken(g.db_session, user)
        g.db_session.commit()
        return queued
    with current_app.extensions["engage.db"].write_session() as own:
        return _queue_address_taken(own, user)


def _queue_address_taken(session: Session, user) -> bool:
    from sqlalchemy import func

    table = MailOutbox.__table__.c
    recent = session.execute(select(func.count()).select_from(MailOutbox).where(
        table.user_id == user.id, table.kind == ADDRESS_TAKEN,
        table.created_at > utcnow() - timedelta(hours=1))).scalar_one()
    if recent:
        return False
    queue_letter(session, user_id=user.id, message="notice", kind=ADDRESS_TAKEN, letter=compose.address_taken_letter(user))
    return True


# --- delivery ---------------------------------------------------------------------------

def _claim(db, limit: int) -> list[int]:
    """Take up to ``limit`` due rows for this deliverer alone; returns their ids."""
    now = utcnow()
    stale = now - timedelta(seconds=current_app.config["MAIL_CLAIM_TIMEOUT_SECONDS"])
    table = MailOutbox.__table__.c
    due = (select(table.id).where(or_(and_(table.status == "pending", table.due_at <= now),
                                      and_(table.status == "sending", table.claimed_at < stale)))
           .order_by(table.id).limit(limit).with_for_update(skip_locked=True))
    with db.write_session() as session:
        ids = list(session.execute(due).scalars())
        if ids:
            session.execute(update(MailOutbox).where(table.id.in_(ids))
                            .values(status="sending", claimed_at=now, attempts=table.attempts + 1))
    return ids


def _letter_for(session: Session, row: MailOutbox) -> compose.Letter | None:
    """The message a row stands for, or None when there is nothing to send any more."""
    user = session.get(User, row.user_id) if row.user_id else None
    if row.message != "notification":
        if row.message == "digest" and (user is None or not user.is_active):
            return None
        return compose.Letter(row.to_address, row.subject, row.text_body, row.html_body, json.loads(row.headers or "{}"))
    note = session.get(Notification, row.notification_id)
    if note is None or user is None or not user.is_active or not user.email:
        return None
    kind = kinds.resolve(note.plugin, note.kind)
    if kinds.cadence_of(kind, kinds.stored(session, user.id)) != "immediate":
        return None  # the reader changed their mind since it was queued
    return compose.notification_letter(user, note, kind)


def _email(letter: compose.Letter, connection):
    from flask_mailman import EmailMultiAlternatives

    message = EmailMultiAlternatives(letter.subject, letter.text, None, [letter.to], headers=letter.headers,
                                     connection=connection)
    message.attach_alternative(letter.html, "text/html")
    return message


def _finish(db, row_id: int, *, status: str, error: str | None = None, retry_in: float | None = None) -> None:
    values = {"status": status, "last_error": error}
    if status == "sent":
        values["sent_at"] = utcnow()
    if retry_in is not None:
        values["due_at"] = utcnow() + timedelta(seconds=retry_in)
    with db.write_session() as session:
        session.execute(update(MailOutbox).where(MailOutbox.__table__.c.id == row_id).values(**values))


def deliver_pending(app: Flask, limit: int = 100) -> int:
    """Send up to ``limit`` queued messages; returns how many were sent.

    Safe to run in several processes at once (each row is claimed by one deliverer) and to
    repeat (sent rows are never taken again). A message the server refuses is retried after
    ``MAIL_RETRY_SECONDS`` × 2^attempts, and marked failed after ``MAIL_MAX_ATTEMPTS``.
    The job queue calls this every few seconds; ``engage mail deliver`` runs it by hand.
    """
    with app.app_context():
        db = app.extensions["engage.db"]
        ids = _claim(db, limit)
        if not ids:
            return 0
        sent = 0
        connection = app.extensions["mailman"].get_connection()
        try:
            _reopen(connection)  # one connection for the batch; if the server is down, each send says so
            for row_id in ids:
                sent += _deliver_one(app, db, row_id, connection)
        finally:
            connection.close()
        return sent


def _deliver_one(app: Flask, db, row_id: int, connection) -> int:
    with db.session() as session:
        row = session.get(MailOutbox, row_id)
        try:
            letter = _letter_for(session, row)
        except Exception as exc:  # noqa: BLE001 - a broken template must not stop the others
            log.exception("mail %s could not be rendered", row_id)
            _finish(db, row_id, status="failed", error=f"{type(exc).__name__}: {exc}"[:500])
            return 0
        attempts = row.attempts
    if letter is None:
        _finish(db, row_id, status="skipped")
        return 0
    try:
        connection.send_messages([_email(letter, connection)])
    except Exception as exc:  # noqa: BLE001 - any refusal: retry later, then give up
        error = f"{type(exc).__name__}: {exc}"[:500]
        log.warning("mail %s not sent (attempt %s): %s", row_id, attempts, error)
        if attempts >= app.config["MAIL_MAX_ATTEMPTS"]:
            _finish(db, row_id, status="failed", error=error)
        else:
            _finish(db, row_id, status="pending", error=error,
                    retry_in=app.config["MAIL_RETRY_SECONDS"] * 2 ** (attempts - 1))
        _reopen(connection)
        return 0
    _finish(db, row_id, status="sent")
    return 1


def _reopen(connection) -> None:
    """Open the connection afresh. When that fails (server down, login refused), leave it closed:
    the next send opens it again and records why it could not, not the refusal a half-open,
    unauthenticated connection would meet instead."""
    try:
        connection.close()
        connection.open()
    except Exception:  # noqa: BLE001 - the next send reports the problem
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - nothing more to close
            connection.connection = None


def pending_count(session: Session) -> int:
    """How many messages wait to be sent (for ``engage check``, /healthz and metrics)."""
    from sqlalchemy import func

    return session.execute(select(func.count()).select_from(MailOutbox)
                           .where(MailOutbox.__table__.c.status.in_(("pending", "sending")))).scalar_one()
