"""Readers' rights over the webhook delivery log: a copy of what it holds about a reader, and forgetting it.

Core's answer to the readers'-rights hooks ``engage_user_data`` and ``engage_forget_user`` for
the deliveries about a reader: the events sent (or waiting) that name them.
"""

from __future__ import annotations

import json

from sqlalchemy import delete, select

from core.hookspecs import hookimpl
from core.webhooks.models import WebhookAttempt, WebhookDelivery


def user_data(session, user_id: int) -> dict[str, list[dict]]:
    """The webhook deliveries about ``user_id``: what was sent, when, and how it went."""
    rows = session.execute(select(WebhookDelivery).where(WebhookDelivery.user_id == user_id)
                           .order_by(WebhookDelivery.id)).scalars()
    return {"webhook_deliveries": [{"event": row.event_type, "body": json.loads(row.payload), "status": row.status,
                                    "created_at": row.created_at.isoformat()} for row in rows]}


def forget_user(session, user_id: int) -> None:
    """Delete the deliveries about ``user_id`` with their attempts (also those not sent yet), in the
    caller's transaction."""
    about = select(WebhookDelivery.id).where(WebhookDelivery.user_id == user_id)
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(about)))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.user_id == user_id))


@hookimpl
def engage_user_data(session, user_id):
    return user_data(session, user_id)


@hookimpl
def engage_forget_user(session, user_id):
    forget_user(session, user_id)
