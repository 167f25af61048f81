"""Administrators' changes to webhooks: subscribe, edit, switch on and off, delete, redeliver.

Each takes the session, never commits, and writes an audit row; a URL is checked with
``core.webhooks.addresses.check_url`` before it is stored.
"""

from __future__ import annotations

import base64
import secrets
import uuid

from flask_babel import gettext as _
from sqlalchemy import delete, select

from core.models import AuditEntry, utcnow
from core.webhooks.addresses import check_url
from core.webhooks.events import forget_subscriptions, registry, wake_after_commit
from core.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class WebhookError(ValueError):
    """A change refused, with a message in the reader's language."""


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form, ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _checked(url: str, event_types: list[str]) -> tuple[str, str]:
    url = (url or "").strip()
    check_url(url)  # raises AddressRefused (a WebhookError's sibling: both are ValueErrors)
    known = {event.key for event in registry()}
    chosen = [key for key in dict.fromkeys(event_types) if key]
    unknown = [key for key in chosen if key not in known]
    if unknown:
        raise WebhookError(_("Unknown event type: %(types)s.", types=", ".join(unknown)))
    if not chosen:
        raise WebhookError(_("Choose at least one event type."))
    return url, " ".join(chosen)


def create_endpoint(session, *, url: str, event_types: list[str], description: str = "",
                    actor_id: int | None) -> WebhookEndpoint:
    """Subscribe ``url`` to ``event_types``; its secret (``endpoint.secret``) is to be shown once."""
    url, types = _checked(url, event_types)
    endpoint = WebhookEndpoint(url=url, event_types=types, description=description.strip()[:200],
                               secret=new_secret(), created_by=actor_id)
    session.add(endpoint)
    session.flush()
    session.add(AuditEntry(actor_id=actor_id, action="webhooks.create", target=f"webhook:{endpoint.id}",
                           detail=f"{url} [{types}]"[:500]))
    forget_subscriptions()
    return endpoint


def update_endpoint(session, *, endpoint: WebhookEndpoint, url: str, event_types: list[str], description: str,
                    actor_id: int | None) -> None:
    """Change an endpoint's URL, events and description."""
    endpoint.url, endpoint.event_types = _checked(url, event_types)
    endpoint.description = description.strip()[:200]
    session.add(AuditEntry(actor_id=actor_id, action="webhooks.update", target=f"webhook:{endpoint.id}",
                           detail=f"{endpoint.url} [{endpoint.event_types}]"[:500]))
    forget_subscriptions()


def set_enabled(session, *, endpoint: WebhookEndpoint, enabled: bool, actor_id: int | None) -> None:
    """Switch an endpoint on (its failure count starts again) or off."""
    endpoint.enabled = enabled
    endpoint.failures = 0 if enabled else endpoint.failures
    endpoint.disabled_at = None if enabled else utcnow()
    session.add(AuditEntry(actor_id=actor_id, action="webhooks.enable" if enabled else "webhooks.disable",
                           target=f"webhook:{endpoint.id}", detail=endpoint.url[:500]))
    forget_subscriptions()


def rotate_secret(session, *, endpoint: WebhookEndpoint, actor_id: int | None) -> str:
    """Give the endpoint a new secret (returned, to be shown once); the old one stops at once."""
    endpoint.secret = new_secret()
    session.add(AuditEntry(actor_id=actor_id, action="webhooks.rotate", target=f"webhook:{endpoint.id}",
                           detail=endpoint.url[:500]))
    return endpoint.secret


def delete_endpoint(session, *, endpoint: WebhookEndpoint, actor_id: int | None) -> None:
    """Delete an endpoint with its delivery log."""
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    session.add(AuditEntry(actor_id=actor_id, action="webhooks.delete", target=f"webhook:{endpoint.id}",
                           detail=endpoint.url[:500]))
    session.delete(endpoint)
    forget_subscriptions()


def redeliver(session, *, delivery: WebhookDelivery, actor_id: int | None) -> WebhookDelivery:
    """Send a delivery's event again, as a new delivery with a new message id (the log keeps both)."""
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or not endpoint.enabled:
        raise WebhookError(_("Switch the webhook on before sending anything again."))
    again = WebhookDelivery(endpoint_id=delivery.endpoint_id, message_id=f"msg_{uuid.uuid4().hex}",
                            event_type=delivery.event_type, user_id=delivery.user_id, payload=delivery.payload)
    session.add(again)
    session.flush()
    session.add(AuditEntry(actor_id=actor_id, action="webhooks.redeliver", target=f"webhook:{endpoint.id}",
                           detail=f"delivery {delivery.id} as {again.id}"))
    wake_after_commit(session)
    return again
