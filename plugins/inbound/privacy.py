"""Readers' rights for the inbound plugin: a reader's events, and forgetting them.

Forgetting deletes the person's events and what the rules paid for them here (the ledger's
entries are core's to anonymise), and the unmatched events sent under their number; their rules
and uploads lose the author's name.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlmodel import Session

from .models import InboundEvent, InboundPayment, InboundReplay, InboundRule, InboundUpload


def user_data(session: Session, user_id: int) -> dict[str, list[dict]]:
    """The person's events as the library's systems sent them."""
    rows = session.execute(select(InboundEvent).where(InboundEvent.user_id == user_id)
                           .order_by(InboundEvent.id)).scalars()
    return {"inbound_events": [{"source_id": e.source_id, "type": e.kind, "reader_number": e.reader_number,
                                "occurred_at": e.occurred_at.isoformat(), "received_at": e.received_at.isoformat(),
                                "origin": e.origin} for e in rows]}


def forget_user(session: Session, user_id: int) -> None:
    from core.models import User

    user = session.get(User, user_id)
    events = select(InboundEvent.id).where(InboundEvent.user_id == user_id)
    session.execute(delete(InboundPayment).where(InboundPayment.event_id.in_(events)))
    session.execute(delete(InboundPayment).where(InboundPayment.user_id == user_id))
    session.execute(delete(InboundEvent).where(InboundEvent.user_id == user_id))
    if user is not None and user.member_number:
        session.execute(delete(InboundEvent).where(InboundEvent.user_id.is_(None),
                                                   InboundEvent.reader_number == user.member_number))
    for model, column in ((InboundRule, InboundRule.created_by), (InboundUpload, InboundUpload.created_by),
                          (InboundReplay, InboundReplay.requested_by)):
        session.execute(update(model).where(column == user_id).values({column.key: None}))
