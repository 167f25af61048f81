"""The mail's work on the job queue (hook ``engage_jobs``): delivering the outbox, digests, retention.

Delivery also runs as soon as a request's transaction that queued a message commits
(``wake_after_commit``), so an email leaves within seconds and never inside a request.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from core.hookspecs import hookimpl
from core.jobs import PeriodicJob, crontab, every_minutes, run_soon_after_commit
from core.mail.digests import send_digests
from core.mail.models import MailOutbox
from core.mail.outbox import deliver_pending
from core.models import utcnow

DELIVER = "core:deliver-mail"
BATCH = 100


def wake_after_commit(session) -> None:
    """Deliver the messages ``session`` queued once it commits (``MAIL_JOBS`` off: on schedule only)."""
    if current_app.config["MAIL_JOBS"]:
        run_soon_after_commit(session, DELIVER)


def deliver() -> None:
    """Send everything due, a batch at a time."""
    app = current_app._get_current_object()
    while deliver_pending(app, limit=BATCH) >= BATCH:
        pass


def digests() -> None:
    """Queue the digests that are due (each reader's daily or weekly one, once), then send them."""
    if send_digests(current_app._get_current_object()):
        deliver()


def forget_sent() -> int:
    """Delete sent and given-up messages older than ``MAIL_KEEP_DAYS`` (retention)."""
    table = MailOutbox.__table__
    before = utcnow() - timedelta(days=int(current_app.config["MAIL_KEEP_DAYS"]))
    with current_app.extensions["engage.db"].write_session() as session:
        return session.execute(table.delete().where(table.c.status.in_(("sent", "failed")),
                                                    table.c.created_at < before)).rowcount


@hookimpl
def engage_jobs():
    return [PeriodicJob(DELIVER, "core", deliver, every_minutes(1)),
            PeriodicJob("core:mail-digests", "core", digests, crontab(minute="7")),
            PeriodicJob("core:forget-sent-mail", "core", forget_sent, crontab(hour="4", minute="20"))]
