"""Readers' rights over the webhook delivery log: a copy of what it holds about a reader, and forgetting it.

Plain functions with the shapes the readers'-rights hooks take (``user_data`` and ``forget_user``);
the deliveries about a reader are the events sent (or waiting) that name them.
"""

from __future__ import annotations

import json

from sqlalchemy import delete, select

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
