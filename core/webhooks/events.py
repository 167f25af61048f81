"""The event types an endpoint can subscribe to, and ``emit``: one outbox row per subscribed endpoint.

Core's own types come from its event hooks (an award, a badge, a level reached); plugins declare
theirs with ``engage_webhook_events`` and call ``emit`` in the transaction of what happened. A
worker keeps the set of subscribed types for ``WEBHOOK_REFRESH_SECONDS``, so an award nobody
listens for costs no query.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select

from core.hookspecs import hookimpl
from core.models import utcnow
from core.webhooks.models import WebhookDelivery, WebhookEndpoint

DELIVER = "core:deliver-webhooks"
_CACHE = "engage.webhooks.subscribed"
_INSERT = insert(WebhookDelivery.__table__)


@dataclass(frozen=True)
class WebhookEvent:
    """An event type an administrator may subscribe a URL to (hook ``engage_webhook_events``).

    ``key`` is ``"<plugin>.<what>"`` (letters, digits, ``_`` and ``.``); ``label`` is lazy text
    or ``{"en": …, "zh_Hans": …}``.
    """

    key: str
    label: object
    order: int = 100


CORE_EVENTS = (
    WebhookEvent("points.awarded", _l("Points awarded"), order=10),
    WebhookEvent("badge.granted", _l("Badge granted"), order=20),
    WebhookEvent("level.reached", _l("Level reached"), order=30),
)


def registry() -> list[WebhookEvent]:
    """Every event type on offer now: core's, then the switched-on plugins', by order."""
    from core.plugins import current_hooks

    found = list(CORE_EVENTS)
    for result in current_hooks().engage_webhook_events():
        found.extend(result if isinstance(result, (list, tuple)) else [result] if result else [])
    return sorted(found, key=lambda event: (event.order, event.key))


def subscribed(session) -> frozenset[str]:
    """The event types some enabled endpoint subscribes to (this worker's copy, briefly kept)."""
    cached = current_app.extensions.get(_CACHE)
    if cached and time.monotonic() - cached[0] < current_app.config["WEBHOOK_REFRESH_SECONDS"]:
        return cached[1]
    table = WebhookEndpoint.__table__.c
    types = frozenset(word for (value,) in session.execute(select(table.event_types).where(table.enabled.is_(True)))
                      for word in value.split())
    current_app.extensions[_CACHE] = (time.monotonic(), types)
    return types


def forget_subscriptions() -> None:
    """Read the subscriptions again at the next event (after an administrator changed them)."""
    current_app.extensions.pop(_CACHE, None)


def emit(session, event_type: str, data: dict) -> int:
    """Queue ``event_type`` with ``data`` (JSON-serialisable) for every enabled endpoint that
    subscribes to it, in the caller's transaction; returns how many deliveries were queued.

    The body follows the Standard Webhooks shape, ``{"type", "timestamp", "data"}``. The deliveries
    leave once the transaction commits (a worker sends them); nothing is sent if it rolls back.
    """
    if not has_app_context() or event_type not in subscribed(session):
        return 0
    table = WebhookEndpoint.__table__.c
    endpoints = [(endpoint_id, types) for endpoint_id, types in session.execute(
        select(table.id, table.event_types).where(table.enabled.is_(True))) if event_type in types.split()]
    if not endpoints:
        return 0
    now = utcnow()
    body = json.dumps({"type": event_type, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data},
                      ensure_ascii=False, separators=(",", ":"), default=str)
    user_id = data.get("user_id") if isinstance(data.get("user_id"), int) else None
    session.execute(_INSERT, [{"endpoint_id": endpoint_id, "message_id": f"msg_{uuid.uuid4().hex}",
                               "event_type": event_type, "user_id": user_id, "payload": body, "status": "pending", "attempts": 0,
                               "created_at": now, "due_at": now} for endpoint_id, _types in endpoints])
    wake_after_commit(session)
    return len(endpoints)


def wake_after_commit(session) -> None:
    """Send what ``session`` queued as soon as it commits (``WEBHOOK_JOBS`` off: on schedule only)."""
    if current_app.config["WEBHOOK_JOBS"]:
        from core.jobs import run_soon_after_commit

        run_soon_after_commit(session, DELIVER)


# --- core's events, heard through core's event hooks -------------------------------------------

@hookimpl
def engage_points_awarded_many(session, awards):
    """``points.awarded`` for every award, ``level.reached`` when one crossed into a higher level."""
    types = subscribed(session) if has_app_context() else frozenset()
    if not types:
        return
    levels = None
    for award in awards:
        user_id, amount, total = award.user_id, award.amount, award.total
        if "points.awarded" in types:
            emit(session, "points.awarded", {"user_id": user_id, "amount": amount, "total": total})
        if "level.reached" in types and amount > 0:
            from core.levels import current_levels, progress

            levels = levels or current_levels()
            before, after = progress(total - amount, levels).level, progress(total, levels).level
            if after.number > before.number:
                emit(session, "level.reached", {"user_id": user_id, "level": after.number, "name_en": after.name_en,
                                                "name_zh": after.name_zh, "total": total})


@hookimpl
def engage_badges_granted(session, awards):
    """``badge.granted`` for every badge a user receives."""
    if has_app_context() and "badge.granted" in subscribed(session):
        for award in awards:
            emit(session, "badge.granted", {"user_id": award.user_id, "badge": award.badge_key,
                                            "granted_at": award.granted_at})
