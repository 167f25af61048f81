"""Email's tables: the outbox the deliverers drain, readers' preferences, and digest cursors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from core.models import LedgerId, _ts, utcnow


class MailOutbox(SQLModel, table=True):
    """One message waiting to be sent (a transactional outbox: the row commits with the
    notification that caused it). ``deliver_pending`` claims, sends and marks it.

    ``message`` is ``notification`` (rendered at delivery from ``notification_id`` in the
    reader's language), ``digest`` or ``notice`` (rendered when queued: subject and bodies here).
    ``status``: pending → sending → sent, or back to pending with a later ``due_at`` after a
    failure, and failed after ``MAIL_MAX_ATTEMPTS``; skipped when there was nothing to send.
    """

    __tablename__ = "core_mail_outbox"
    __table_args__ = (Index("ix_core_mail_outbox_due", "status", "due_at", "id"),)

    id: int | None = Field(default=None, sa_column=Column(LedgerId, primary_key=True, autoincrement=True))
    user_id: int | None = Field(default=None, foreign_key="core_user.id", index=True)
    message: str = Field(max_length=20)
    kind: str = Field(max_length=100)
    notification_id: int | None = Field(default=None)
    to_address: str | None = Field(default=None, max_length=254)
    subject: str | None = Field(default=None, max_length=300)
    text_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    html_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    headers: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON object
    status: str = Field(default="pending", max_length=12)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    due_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    claimed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class MailPreference(SQLModel, table=True):
    """How often a reader wants one kind of news by email; a missing row means the kind's
    default. The kind ``*`` set to ``never`` stops every email of news (unsubscribe from all)."""

    __tablename__ = "core_mail_preference"

    user_id: int = Field(foreign_key="core_user.id", primary_key=True)
    kind: str = Field(primary_key=True, max_length=100)
    cadence: str = Field(max_length=10)
    changed_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class MailDigest(SQLModel, table=True):
    """Where a reader's daily or weekly digest got to: the last notification it covered."""

    __tablename__ = "core_mail_digest"

    user_id: int = Field(foreign_key="core_user.id", primary_key=True)
    cadence: str = Field(primary_key=True, max_length=10)
    last_notification_id: int = 0
    sent_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
