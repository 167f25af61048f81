"""Email (Flask-Mailman): notifications by email per reader and kind, digests, one-click unsubscribe.

Offers ``deliver_pending(app, limit)`` and ``send_digests(app, now)`` (service functions the job
queue and ``engage mail deliver|digests`` call), ``send_address_taken_notice(user)``, and the
pages ``/notifications/email`` (preferences) and ``/mail/unsubscribe/<token>`` (``views``).
"""

from __future__ import annotations

from flask import Flask

from core.mail.digests import send_digests
from core.mail.outbox import deliver_pending, pending_count, send_address_taken_notice

__all__ = ["deliver_pending", "init_app", "pending_count", "send_address_taken_notice", "send_digests"]


def init_app(app: Flask, host) -> None:
    """Set up Flask-Mailman, listen for new notifications, and register the pages."""
    from flask_mailman import Mail

    from core.mail import jobs, outbox, views
    from core.monitoring import metrics

    Mail(app)
    # Core's own listener of engage_notifications_created: always on, as notifications are.
    host.pm.register(outbox, name="core_mail")
    host.pm.register(jobs, name="core_mail_jobs")  # delivery, digests and retention on the job queue
    metrics.add_gauge("engage_mail_outbox_depth", "Emails queued and not yet sent.",
                      lambda: _outbox_depth(app), app=app)
    views.init_app(app)


def _outbox_depth(app: Flask) -> int:
    with app.extensions["engage.db"].session() as session:
        return pending_count(session)
