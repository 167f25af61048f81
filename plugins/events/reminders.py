"""Reminders before an event, by the channels each reader chose.

A periodic job finds seats in events starting within ``EVENTS_REMIND_HOURS`` (24 by default)
whose reader has not been reminded, claims each with a conditional update (so a repeated run
or a second worker never reminds twice) and puts a notification in the reader's inbox; core's
email preferences (the ``events:reminders`` mail kind) decide whether it is also emailed.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlmodel import Session

from core.db import get_db
from core.models import utcnow
from core.notifications import notify

from .i18n import _
from .models import Event, Registration
from .service import NAME, title_of

KIND = "reminder"


def send_due(session: Session) -> int:
    """Remind every registered reader of an event starting soon, once; returns how many were reminded."""
    now = utcnow()
    soon = now + timedelta(hours=current_app.config.get("EVENTS_REMIND_HOURS", 24))
    due = session.execute(select(Registration.id, Registration.user_id, Event)
                          .join(Event, Event.id == Registration.event_id)
                          .where(Registration.status == "registered", Registration.reminded_at.is_(None),
                                 Event.starts_at > now, Event.starts_at <= soon)).all()
    sent = 0
    for reg_id, user_id, event in due:
        claimed = session.execute(update(Registration).where(Registration.id == reg_id,
                                                             Registration.reminded_at.is_(None))
                                  .values(reminded_at=now)).rowcount
        if not claimed:
            continue
        notify(session, user_id=user_id, plugin=NAME, kind=KIND, url=f"/events/{event.id}",
               message=lambda e=event: _("Reminder: “%(title)s” starts %(when)s at %(place)s.", title=title_of(e),
                                         when=_when(e), place=e.place))
        sent += 1
    return sent


def _when(event: Event) -> str:
    from flask_babel import format_datetime

    return format_datetime(event.starts_at, "short")


def run() -> None:
    """The periodic job: one transaction per run."""
    with get_db().write_session() as session:
        send_due(session)
