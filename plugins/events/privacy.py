"""Readers' rights for the events plugin: what it holds about a person, and forgetting them.

Behind core's readers'-rights hooks (plugin.py): ``engage_user_data`` and ``engage_forget_user``
call ``user_data(session, user_id)`` and ``forget_user(session, user_id)``; they write in the
caller's transaction and never commit.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlmodel import Session

from core.models import utcnow

from .models import CheckIn, Event, ReaderSecret, Registration
from .service import _lock, promote


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def user_data(session: Session, user_id: int) -> dict[str, list[dict]]:
    """The person's registrations and check-ins, with the events' titles, and how often they
    replaced their check-in code and calendar address."""
    secret = session.get(ReaderSecret, user_id)
    regs = session.execute(select(Registration, Event).join(Event, Event.id == Registration.event_id)
                           .where(Registration.user_id == user_id).order_by(Registration.id)).all()
    ins = session.execute(select(CheckIn, Event).join(Event, Event.id == CheckIn.event_id)
                          .where(CheckIn.user_id == user_id).order_by(CheckIn.id)).all()
    return {
        "events_registrations": [{"event_id": e.id, "event": e.title_en, "starts_at": _iso(e.starts_at),
                                  "status": r.status, "registered_at": _iso(r.queued_at),
                                  "reminded_at": _iso(r.reminded_at)} for r, e in regs],
        "events_checkins": [{"event_id": e.id, "event": e.title_en, "checked_in_at": _iso(c.created_at),
                             "method": c.method} for c, e in ins],
        "events_codes_replaced": [{"check_in_code": secret.code_version,
                                   "calendar_address": secret.feed_version}] if secret else [],
    }


def forget_user(session: Session, user_id: int) -> None:
    """Remove the person's registrations, check-ins and replaced codes' counts. A seat they held
    in an event still to come goes to the first reader waiting. Points already paid stay in the
    ledger (core anonymises it)."""
    now = utcnow()
    held = session.execute(select(Registration.event_id).join(Event, Event.id == Registration.event_id)
                           .where(Registration.user_id == user_id, Registration.status == "registered",
                                  Event.starts_at > now)).scalars().all()
    session.execute(delete(Registration).where(Registration.user_id == user_id))
    session.execute(delete(CheckIn).where(CheckIn.user_id == user_id))
    session.execute(delete(ReaderSecret).where(ReaderSecret.user_id == user_id))
    session.execute(CheckIn.__table__.update().where(CheckIn.actor_id == user_id).values(actor_id=None))
    session.execute(Event.__table__.update().where(Event.created_by == user_id).values(created_by=None))
    session.flush()
    for event_id in held:
        promote(session, _lock(session, event_id))
