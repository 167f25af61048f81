"""Webhooks' tables: the endpoints an administrator subscribed, and each delivery (the outbox
row written in the event's transaction, which is also the delivery log) with its attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Text
from sqlmodel import Field, SQLModel

from core.models import LedgerId, _ts, utcnow


class WebhookEndpoint(SQLModel, table=True):
    """A URL that receives signed events of the types it subscribes to.

    ``event_types`` is a space-separated list; ``secret`` is the ``whsec_…`` signing secret
    (shown once to the administrator who made it). ``failures`` counts consecutive failed
    deliveries; reaching ``WEBHOOK_DISABLE_AFTER`` switches the endpoint off (``disabled_at``).
    """

    __tablename__ = "core_webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    event_types: str = Field(sa_column=Column(Text, nullable=False))
    secret: str = Field(max_length=100)
    enabled: bool = True
    failures: int = 0
    disabled_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    created_by: int | None = Field(default=None, foreign_key="core_user.id")

    @property
    def types(self) -> list[str]:
        return self.event_types.split()


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: written in the event's transaction, sent by the job queue.

    ``status``: pending → sending → delivered, or back to pending with a later ``due_at`` after a
    failed attempt, and failed after ``WEBHOOK_MAX_ATTEMPTS`` (or when its endpoint is off).
    ``message_id`` is the ``webhook-id`` header, the same on every attempt so a receiver can
    drop a repeat; a manual redelivery is a new row with a new id.
    """

    __tablename__ = "core_webhook_delivery"
    __table_args__ = (Index("ix_core_webhook_delivery_due", "status", "due_at", "id"),
                      Index("ix_core_webhook_delivery_endpoint", "endpoint_id", "id"))

    id: int | None = Field(default=None, sa_column=Column(LedgerId, primary_key=True, autoincrement=True))
    endpoint_id: int = Field(foreign_key="core_webhook_endpoint.id")
    message_id: str = Field(max_length=64, unique=True)
    event_type: str = Field(max_length=100)
    # The reader the event is about (``data["user_id"]``), so their rights to a copy and to be
    # forgotten reach the delivery log too.
    user_id: int | None = Field(default=None, index=True)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # the JSON body, exactly as signed
    status: str = Field(default="pending", max_length=12)
    attempts: int = 0
    response_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    due_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    claimed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class WebhookAttempt(SQLModel, table=True):
    """One try at sending a delivery: when, the answer's status code (None: no answer), how long."""

    __tablename__ = "core_webhook_attempt"

    id: int | None = Field(default=None, sa_column=Column(LedgerId, primary_key=True, autoincrement=True))
    delivery_id: int = Field(sa_column=Column(LedgerId, ForeignKey("core_webhook_delivery.id"), index=True,
                                              nullable=False))
    number: int
    attempted_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    response_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    milliseconds: int = 0
