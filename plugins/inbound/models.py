"""Tables of the inbound plugin: the events the library's systems send, the rules that pay
them, what each rule paid, replays and CSV uploads waiting to be applied.

Every name starts with ``inbound_``. Events are append-only (only the reader link changes, when
an unmatched number is matched or a reader is forgotten). The event's library-time date, week,
minute of the day and weekday are stored with it (computed once, at arrival, in the library's
time zone), so caps, time windows and previews are plain SQL on both databases.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from core.models import UTCDateTime, utcnow


def _ts(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class InboundEvent(SQLModel, table=True):
    """One event a library system reported (a loan, a gate entry…), once per source id."""

    __tablename__ = "inbound_event"
    __table_args__ = (
        UniqueConstraint("source_id", name="uq_inbound_event_source"),
        # Previews: events that happened since a moment arrived since just before it (see SKEW),
        # and new events go at this index's end, not at random places in it.
        Index("ix_inbound_event_kind_received", "kind", "received_at"),
        Index("ix_inbound_event_kind_id", "kind", "id"),  # replays walk a type's events in id order
        Index("ix_inbound_event_user", "user_id"),
        # Numbers are looked up for unmatched events only: matched ones stay out of the index.
        Index("ix_inbound_event_unmatched", "reader_number", sqlite_where=text("user_id IS NULL"),
              postgresql_where=text("user_id IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(max_length=120)
    kind: str = Field(max_length=60)
    reader_number: str | None = Field(default=None, max_length=64)
    user_id: int | None = Field(default=None, foreign_key="core_user.id")
    occurred_at: datetime = Field(sa_column=_ts())
    received_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    origin: str = Field(max_length=60)  # "apikey:<id>" or "upload:<id>"
    local_date: date
    local_week: str = Field(max_length=10)  # ISO week, "2026-W48"
    local_minute: int  # minutes after local midnight, 0–1439
    local_weekday: int  # 0 = Monday


class InboundRule(SQLModel, table=True):
    """A librarian's rule: events of ``kind`` pay ``points``, within optional caps and hours."""

    __tablename__ = "inbound_rule"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    kind: str = Field(max_length=60, index=True)
    points: int
    day_points: int | None = None
    day_count: int | None = None
    week_points: int | None = None
    week_count: int | None = None
    window_start: int | None = None  # minutes after local midnight; the window may cross midnight
    window_end: int | None = None
    weekdays: str = Field(default="", max_length=7)  # "0123456"-style; empty: every day
    active: bool = False
    created_by: int | None = Field(default=None, foreign_key="core_user.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class InboundPayment(SQLModel, table=True):
    """What a rule paid for an event: once per (rule, event); the caps count these rows."""

    __tablename__ = "inbound_payment"
    __table_args__ = (
        UniqueConstraint("rule_id", "event_id", name="uq_inbound_payment_once"),
        # The caps read a reader's payments per week and rule; forgetting a reader finds them by reader.
        Index("ix_inbound_payment_caps", "user_id", "local_week", "rule_id"),
        Index("ix_inbound_payment_event", "event_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key="inbound_rule.id")
    event_id: int = Field(foreign_key="inbound_event.id")
    user_id: int = Field(foreign_key="core_user.id")
    local_date: date
    local_week: str = Field(max_length=10)
    points: int
    paid_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class InboundReplay(SQLModel, table=True):
    """A replay of the stored events for one rule, run by the job queue, with its progress."""

    __tablename__ = "inbound_replay"

    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key="inbound_rule.id", index=True)
    status: str = Field(default="waiting", max_length=16)  # waiting, running, done
    total: int = 0
    done: int = 0
    last_event_id: int = 0
    events_paid: int = 0
    points: int = 0
    requested_by: int | None = Field(default=None, foreign_key="core_user.id")
    requested_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class InboundUpload(SQLModel, table=True):
    """A CSV of events checked and shown to a librarian, applied (once) when they confirm."""

    __tablename__ = "inbound_upload"

    id: int | None = Field(default=None, primary_key=True)
    filename: str = Field(max_length=200)
    rows: str  # the valid rows as JSON, ready to apply
    good: int = 0
    bad: int = 0
    created_by: int | None = Field(default=None, foreign_key="core_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    applied_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
