"""Daily and weekly digests: what happened since a reader's last digest, in one message.

``send_digests`` is meant to run once an hour or once a day (the job queue schedules it;
``engage mail digests`` runs it by hand). A reader's daily digest is due a day after the last
(an hour's slack, so a job at the same hour each day always finds it due), the weekly one a
week after. Each reader's digest is decided in its own transaction, which queues the message
and moves the reader's cursor together: running it twice, or in two processes, sends one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.mail import compose, kinds
from core.mail.models import MailDigest
from core.mail.outbox import queue_letter
from core.models import Notification, User, utcnow

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
SLACK = timedelta(hours=1)
MOST = 200  # notifications in one digest; the rest wait for the next


def send_digests(app: Flask, now: datetime | None = None) -> int:
    """Queue every digest due at ``now`` (default: the present); returns how many were queued.

    Gathers, per reader and cadence, the notifications since the last digest (the first one
    looks back one period) whose kind the reader set to that cadence. Idempotent.
    """
    with app.app_context():
        now = now or utcnow()
        db = app.extensions["engage.db"]
        lookback = now - timedelta(days=current_app.config["MAIL_DIGEST_LOOKBACK_DAYS"])
        with db.session() as session:
            readers = list(session.execute(select(Notification.user_id).where(
                Notification.created_at > lookback, Notification.created_at <= now).distinct()).scalars())
        if not current_app.config["MAIL_NOTIFICATIONS"]:
            return 0
        queued = 0
        for user_id in sorted(readers):
            for cadence in PERIODS:
                try:
                    with db.write_session() as session:
                        queued += _digest(session, user_id, cadence, now)
                except IntegrityError:  # another process started this reader's first digest at once
                    continue
        return queued


def _digest(session, user_id: int, cadence: str, now: datetime) -> int:
    """Decide and queue one reader's digest of one cadence; 1 when a message was queued."""
    user = session.get(User, user_id)
    if user is None or not user.is_active or not user.email:
        return 0
    choices = kinds.stored(session, user_id)
    if not any(kinds.cadence_of(kind, choices) == cadence for kind in kinds.registry()):
        return 0
    state = session.get(MailDigest, (user_id, cadence), with_for_update=True)
    if state is not None and now - state.sent_at < PERIODS[cadence] - SLACK:
        return 0
    query = (select(Notification).where(Notification.user_id == user_id, Notification.created_at <= now)
             .order_by(Notification.id).limit(MOST))
    if state is not None:
        query = query.where(Notification.id > state.last_notification_id)
    else:
        query = query.where(Notification.created_at > now - PERIODS[cadence])
    notes = list(session.execute(query).scalars())
    chosen = [n for n in notes if kinds.cadence_of(kinds.resolve(n.plugin, n.kind), choices) == cadence]
    if state is None:
        state = MailDigest(user_id=user_id, cadence=cadence, last_notification_id=0, sent_at=now)
    state.sent_at = now
    if notes:
        state.last_notification_id = notes[-1].id
    session.add(state)
    session.flush()  # a second process starting the same first digest stops here
    if not chosen:
        return 0
    queue_letter(session, user_id=user_id, message="digest", kind=f"core:digest-{cadence}",
                 letter=compose.digest_letter(user, chosen, cadence))
    return 1
