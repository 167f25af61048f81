"""Tables of the events plugin: events, registrations (seats and the waitlist), check-ins, and how
often each reader has replaced their personal code or calendar address.

Every name starts with ``events_``. "Once" rules live in the database: one registration per
reader per event and one check-in per reader per event (unique constraints); points for
attending are paid once through the ledger's idempotency key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models import UTCDateTime, utcnow

# registered: holds a seat; waitlisted: queued in order of ``queued_at``; cancelled: gave it up.
STATUSES = ("registered", "waitlisted", "cancelled")
# How a check-in was made: the rotating code on a screen or phone, a librarian scanning the
# reader's personal code, or a librarian ticking the name.
METHODS = ("code", "personal", "list")


def _ts(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class Event(SQLModel, table=True):
    """A workshop, talk or reading club: when, where, for whom, how many seats, how many points."""

    __tablename__ = "events_event"

    id: int | None = Field(default=None, primary_key=True)
    title_en: str = Field(max_length=120)
    title_zh: str = Field(max_length=120)
    description_en: str = Field(default="", max_length=4000)
    description_zh: str = Field(default="", max_length=4000)
    place: str = Field(max_length=200)
    starts_at: datetime = Field(sa_column=_ts())
    ends_at: datetime = Field(sa_column=_ts())
    capacity: int = Field(default=30)
    # Faculties (readers' cohorts) the event is for, one per line; empty: open to all.
    faculties: str = Field(default="", max_length=2000)
    points: int = Field(default=10)
    created_by: int | None = Field(default=None, foreign_key="core_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Registration(SQLModel, table=True):
    """A reader's seat, or place on the waitlist, for one event (one row per reader and event)."""

    __tablename__ = "events_registration"
    __table_args__ = (UniqueConstraint("event_id", "user_id", name="uq_events_registration_once"),
                      Index("ix_events_registration_event_status", "event_id", "status"))

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events_event.id")
    user_id: int = Field(foreign_key="core_user.id", index=True)
    status: str = Field(default="registered", max_length=16)
    # When the reader (re)joined: the waitlist moves up in this order.
    queued_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    reminded_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class CheckIn(SQLModel, table=True):
    """A reader's attendance at an event, recorded once."""

    __tablename__ = "events_checkin"
    __table_args__ = (UniqueConstraint("event_id", "user_id", name="uq_events_checkin_once"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events_event.id")
    user_id: int = Field(foreign_key="core_user.id", index=True)
    method: str = Field(default="code", max_length=16)
    actor_id: int | None = Field(default=None, foreign_key="core_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ReaderSecret(SQLModel, table=True):
    """How many times a reader has replaced their personal code and their calendar address (no
    row: never). Both are HMACs of the reader's id and this count (``codes.py``), so a new count
    turns the old code or address off without either being stored."""

    __tablename__ = "events_reader_secret"

    user_id: int = Field(foreign_key="core_user.id", primary_key=True)
    code_version: int = 0
    feed_version: int = 0
