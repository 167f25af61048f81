"""Webhooks out: administrators subscribe URLs to events; each event is signed and sent by the job queue.

Offers ``emit(session, event_type, data)`` (queue a plugin's event in the caller's transaction),
``WebhookEvent`` (what a plugin returns from ``engage_webhook_events``) and ``init_app``.
"""

from __future__ import annotations

from flask import Flask

from core.webhooks.events import WebhookEvent, emit

__all__ = ["WebhookEvent", "emit", "init_app"]


def init_app(app: Flask, host) -> None:
    """Listen for core's events, put delivery on the job queue and register the admin pages
    (before ``core.jobs.init_app``, which collects the periodic jobs)."""
    from core.monitoring import metrics
    from core.webhooks import events, jobs, privacy, views

    host.pm.register(events, name="core_webhooks")  # always on, as the ledger's events are
    host.pm.register(jobs, name="core_webhooks_jobs")
    host.pm.register(privacy, name="core_webhooks_privacy")  # readers' rights: export, forget
    app.register_blueprint(views.bp)
    metrics.add_gauge("engage_webhook_deliveries_waiting", "Webhook deliveries queued or waiting to be retried.",
                      lambda: _waiting(app), app=app)


def _waiting(app: Flask) -> int:
    from sqlalchemy import func, select

    from core.webhooks.models import WebhookDelivery

    table = WebhookDelivery.__table__.c
    with app.extensions["engage.db"].engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(WebhookDelivery.__table__)
                                  .where(table.status.in_(("pending", "sending")))).scalar_one()
