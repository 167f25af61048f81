"""Webhooks' work on the job queue (hook ``engage_jobs``) and their email kind (``engage_mail_kinds``)."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from core.hookspecs import MailKind, hookimpl
from core.jobs import PeriodicJob, crontab, every_minutes
from core.models import utcnow
from core.webhooks.delivery import deliver_pending
from core.webhooks.events import DELIVER
from core.webhooks.models import WebhookAttempt, WebhookDelivery

BATCH = 50


def deliver() -> None:
    """Send everything due, a batch at a time (retries wait for their time)."""
    app = current_app._get_current_object()
    while deliver_pending(app, limit=BATCH) >= BATCH:
        pass


def forget_old() -> int:
    """Delete finished deliveries older than ``WEBHOOK_KEEP_DAYS`` with their attempts (retention)."""
    before = utcnow() - timedelta(days=int(current_app.config["WEBHOOK_KEEP_DAYS"]))
    table = WebhookDelivery.__table__
    old = table.select().with_only_columns(table.c.id).where(
        table.c.status.in_(("delivered", "failed")), table.c.created_at < before)
    with current_app.extensions["engage.db"].write_session() as session:
        session.execute(WebhookAttempt.__table__.delete().where(WebhookAttempt.__table__.c.delivery_id.in_(old)))
        return session.execute(table.delete().where(table.c.status.in_(("delivered", "failed")),
                                                    table.c.created_at < before)).rowcount


@hookimpl
def engage_jobs():
    return [PeriodicJob(DELIVER, "core", deliver, every_minutes(1)),
            PeriodicJob("core:forget-old-webhooks", "core", forget_old, crontab(hour="4", minute="30"))]


@hookimpl
def engage_mail_kinds():
    return MailKind("core:webhooks", _l("Webhooks switched off"), kinds=("webhook-disabled",), default="immediate",
                    staff_only=True, order=30)
