"""What librarians and readers do with events: save, register, queue, cancel, and the lists they see.

Every function takes the session and never commits (the view or job commits). A seat is taken
with the event's row locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN
IMMEDIATE`` already serialises writers), so two tabs registering for the last seat at once get
one seat and one place on the waitlist, never two seats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_request_context, url_for
from sqlalchemy import func
from sqlmodel import Session, select

from core.activity import record_activity
from core.i18n import pick
from core.models import User, utcnow
from core.notifications import notify

from .i18n import _
from .models import CheckIn, Event, Registration

NAME = "events"
REGISTERED = "registered"  # the activity a registration records


class EventError(Exception):
    """A refusal the reader or librarian should read, with the HTTP status that fits it."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def title_of(event: Event) -> str:
    return pick({"en": event.title_en, "zh_Hans": event.title_zh})


def faculties_of(event: Event) -> list[str]:
    return [line.strip() for line in (event.faculties or "").splitlines() if line.strip()]


def is_for(event: Event, user) -> bool:
    """Whether ``user`` is in the event's audience (open to all, or their faculty is listed).
    Librarians see every event but register like anyone else."""
    faculties = faculties_of(event)
    return not faculties or (getattr(user, "cohort", None) or "") in faculties


def state_of(event: Event, now: datetime | None = None) -> str:
    now = now or utcnow()
    if now < event.starts_at:
        return "upcoming"
    return "ended" if now >= event.ends_at else "running"


# --- librarians ---------------------------------------------------------------------------

def save_event(session: Session, *, event: Event | None, actor_id: int | None, **values) -> Event:
    """Create or change an event; a larger capacity moves the waitlist up at once."""
    if values["ends_at"] <= values["starts_at"]:
        raise EventError(_("The event must end after it starts."), 400)
    values["faculties"] = "\n".join(dict.fromkeys(
        line.strip() for line in (values.get("faculties") or "").splitlines() if line.strip()))
    if event is None:
        event = Event(created_by=actor_id, **values)
        session.add(event)
        session.flush()
        return event
    locked = _lock(session, event.id)
    for name, value in values.items():
        setattr(locked, name, value)
    session.flush()
    promote(session, locked)
    return locked


def events(session: Session, *, when: str | None = None, user=None, limit: int | None = None) -> list[Event]:
    """Events ``upcoming`` (not ended yet, soonest first) or ``past`` (latest first), or all;
    with ``user`` (a reader) only those meant for them."""
    now = utcnow()
    query = select(Event)
    if when == "upcoming":
        query = query.where(Event.ends_at > now).order_by(Event.starts_at, Event.id)
    elif when == "past":
        query = query.where(Event.ends_at <= now).order_by(Event.starts_at.desc(), Event.id.desc())
    else:
        query = query.order_by(Event.starts_at.desc(), Event.id.desc())
    found = list(session.exec(query))
    if user is not None and not (user.is_authenticated and user.has_role("librarian")):
        found = [e for e in found if is_for(e, user)]
    return found[:limit] if limit else found


def in_window(session: Session, now: datetime | None = None) -> list[Event]:
    """Events whose check-in is open now."""
    now = now or utcnow()
    return list(session.exec(select(Event).where(Event.ends_at >= now - _max_after(),
                                                 Event.starts_at <= now + _max_before())
                             .order_by(Event.starts_at, Event.id)))


def _max_before() -> timedelta:
    return timedelta(minutes=current_app.config.get("EVENTS_CHECKIN_OPENS_MINUTES", 30))


def _max_after() -> timedelta:
    return timedelta(minutes=current_app.config.get("EVENTS_CHECKIN_CLOSES_MINUTES", 30))


@dataclass
class Counts:
    registered: int = 0
    waitlisted: int = 0
    attended: int = 0


def counts(session: Session, event_ids: list[int]) -> dict[int, Counts]:
    """Seats taken, waitlist length and check-ins per event, in two grouped queries."""
    result = {event_id: Counts() for event_id in event_ids}
    if not event_ids:
        return result
    for event_id, status, n in session.execute(
            select(Registration.event_id, Registration.status, func.count())
            .where(Registration.event_id.in_(event_ids), Registration.status != "cancelled")
            .group_by(Registration.event_id, Registration.status)):
        setattr(result[event_id], status, n)
    for event_id, n in session.execute(select(CheckIn.event_id, func.count())
                                       .where(CheckIn.event_id.in_(event_ids)).group_by(CheckIn.event_id)):
        result[event_id].attended = n
    return result


# --- readers ------------------------------------------------------------------------------

def _lock(session: Session, event_id: int) -> Event:
    """The event, its row locked until the transaction ends (PostgreSQL; SQLite writers are serial)."""
    event = session.exec(select(Event).where(Event.id == event_id).with_for_update()
                         .execution_options(populate_existing=True)).one()
    return event


def registration_of(session: Session, event_id: int, user_id: int) -> Registration | None:
    return session.exec(select(Registration).where(Registration.event_id == event_id,
                                                   Registration.user_id == user_id)).first()


def _seats_taken(session: Session, event_id: int) -> int:
    return session.execute(select(func.count()).select_from(Registration).where(
        Registration.event_id == event_id, Registration.status == "registered")).scalar_one()


def register(session: Session, *, event: Event, user: User) -> Registration:
    """Give the reader a seat, or a place on the waitlist when the event is full."""
    if not is_for(event, user):
        raise EventError(_("This event is for readers of other faculties."), 403)
    event = _lock(session, event.id)
    if utcnow() >= event.starts_at:
        raise EventError(_("Registration has closed: the event has started."))
    row = registration_of(session, event.id, user.id)
    if row is not None and row.status != "cancelled":
        raise EventError(_("You are already registered.") if row.status == "registered"
                         else _("You are already on the waitlist."))
    status = "registered" if _seats_taken(session, event.id) < event.capacity else "waitlisted"
    now = utcnow()
    if row is None:
        row = Registration(event_id=event.id, user_id=user.id, status=status, queued_at=now, updated_at=now)
        session.add(row)
    else:
        row.status, row.queued_at, row.updated_at, row.reminded_at = status, now, now, None
    session.flush()
    # A registration is taking part: the dashboard counts it (and the campaign that brought the
    # reader counts it as a conversion). Once per reader and event, whatever they cancel later.
    record_activity(session, user_id=user.id, plugin=NAME, kind=REGISTERED, source_ref=f"event:{event.id}")
    return row


def cancel(session: Session, *, event: Event, user_id: int) -> Registration:
    """Give up a seat or a place on the waitlist; the first reader waiting takes a freed seat."""
    event = _lock(session, event.id)
    row = registration_of(session, event.id, user_id)
    if row is None or row.status == "cancelled":
        raise EventError(_("You are not registered for this event."))
    if utcnow() >= event.ends_at:
        raise EventError(_("This event is over."))
    was = row.status
    row.status, row.updated_at = "cancelled", utcnow()
    session.flush()
    if was == "registered":
        promote(session, event)
    return row


def promote(session: Session, event: Event) -> list[Registration]:
    """Move readers from the waitlist into free seats, first come first served, and tell them.
    The caller holds the event's row lock."""
    if utcnow() >= event.starts_at:
        return []
    free = event.capacity - _seats_taken(session, event.id)
    if free <= 0:
        return []
    moved = list(session.exec(select(Registration).where(
        Registration.event_id == event.id, Registration.status == "waitlisted")
        .order_by(Registration.queued_at, Registration.id).limit(free)))
    for row in moved:
        row.status, row.updated_at = "registered", utcnow()
        notify(session, user_id=row.user_id, plugin=NAME, kind="promoted", url=_event_url(event.id),
               message=lambda e=event: _("A seat came free: you are now registered for “%(title)s”.",
                                         title=title_of(e)))
    session.flush()
    return moved


def _event_url(event_id: int) -> str | None:
    return url_for("events.event", event_id=event_id) if has_request_context() else f"/events/{event_id}"


def waitlist_position(session: Session, row: Registration) -> int:
    """1 for the first reader waiting."""
    return 1 + session.execute(select(func.count()).select_from(Registration).where(
        Registration.event_id == row.event_id, Registration.status == "waitlisted",
        (Registration.queued_at < row.queued_at)
        | ((Registration.queued_at == row.queued_at) & (Registration.id < row.id)))).scalar_one()


def my_registrations(session: Session, user_id: int) -> list[tuple[Event, Registration]]:
    """The reader's seats and waitlist places, soonest event first."""
    return list(session.execute(select(Event, Registration).join(Registration, Registration.event_id == Event.id)
                                .where(Registration.user_id == user_id, Registration.status != "cancelled")
                                .order_by(Event.starts_at, Event.id)).all())
