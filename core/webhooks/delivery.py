"""Sending the outbox: claim due deliveries, sign and POST each, log the attempt, retry or give up.

A deliverer claims rows in one short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL;
SQLite's write lock serialises claims), so two workers never send the same row; a row left
``sending`` by a worker that died is taken again after ``WEBHOOK_CLAIM_TIMEOUT_SECONDS``. A 2xx
answer delivers; anything else (another status, a timeout, a refused address) is an attempt that
failed: retried after ``WEBHOOK_RETRY_SECONDS`` × 2^(attempt − 1) up to ``WEBHOOK_MAX_ATTEMPTS``.
After ``WEBHOOK_DISABLE_AFTER`` failed attempts in a row the endpoint is switched off and every
administrator gets a notice (also by email, as the mail kind ``core:webhooks`` says).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone

import httpx
from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update
from standardwebhooks.webhooks import Webhook

from core.models import AuditEntry, Role, User, utcnow
from core.webhooks.addresses import AddressRefused, check_url
from core.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)
USER_AGENT = "LibraryEngage-Webhooks/1"


def signed_headers(secret: str, message_id: str, body: str, at: datetime | None = None) -> dict[str, str]:
    """The Standard Webhooks headers for ``body``: id, timestamp and ``v1,<base64 HMAC-SHA256>``."""
    at = at or datetime.now(timezone.utc)
    return {"webhook-id": message_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(secret).sign(message_id, at, body),
            "content-type": "application/json", "user-agent": USER_AGENT}


def deliver_pending(app: Flask, limit: int = 50) -> int:
    """Send up to ``limit`` due deliveries; returns how many were delivered (2xx)."""
    with app.app_context():
        db = app.extensions["engage.db"]
        ids = _claim(db, limit)
        delivered = 0
        if ids:
            with _client(app) as client:
                for row_id in ids:
                    delivered += _deliver_one(app, db, client, row_id)
        return delivered


def _client(app: Flask) -> httpx.Client:
    seconds = float(app.config["WEBHOOK_TIMEOUT_SECONDS"])
    return httpx.Client(timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0)), follow_redirects=False,
                        trust_env=False)


def _claim(db, limit: int) -> list[int]:
    now = utcnow()
    stale = now - timedelta(seconds=current_app.config["WEBHOOK_CLAIM_TIMEOUT_SECONDS"])
    table = WebhookDelivery.__table__.c
    due = (select(table.id).where(or_(and_(table.status == "pending", table.due_at <= now),
                                      and_(table.status == "sending", table.claimed_at < stale)))
           .order_by(table.id).limit(limit).with_for_update(skip_locked=True))
    with db.write_session() as session:
        ids = list(session.execute(due).scalars())
        if ids:
            session.execute(update(WebhookDelivery).where(table.id.in_(ids))
                            .values(status="sending", claimed_at=now, attempts=table.attempts + 1))
    return ids


def _deliver_one(app: Flask, db, client: httpx.Client, row_id: int) -> int:
    with db.session() as session:
        row = session.get(WebhookDelivery, row_id)
        endpoint = session.get(WebhookEndpoint, row.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            _finish(db, row, status="failed", code=None, error="endpoint switched off", millis=0, endpoint_ok=None)
            return 0
        url, secret, message_id, body = endpoint.url, endpoint.secret, row.message_id, row.payload
        session.expunge(row)
    started = time.perf_counter()
    code, error = None, None
    try:
        code = _post(app, client, url, secret, message_id, body)
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except AddressRefused as exc:
        error = str(exc)
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}" or type(exc).__name__
    millis = int((time.perf_counter() - started) * 1000)
    if error is None:
        _finish(db, row, status="delivered", code=code, error=None, millis=millis, endpoint_ok=True)
        return 1
    log.info("webhook delivery %s to endpoint %s failed (attempt %s): %s", row.id, row.endpoint_id, row.attempts,
             error)
    if row.attempts >= int(app.config["WEBHOOK_MAX_ATTEMPTS"]):
        _finish(db, row, status="failed", code=code, error=error, millis=millis, endpoint_ok=False)
    else:
        retry = float(app.config["WEBHOOK_RETRY_SECONDS"]) * 2 ** (row.attempts - 1)
        _finish(db, row, status="pending", code=code, error=error, millis=millis, endpoint_ok=False, retry_in=retry)
    return 0


def _post(app: Flask, client: httpx.Client, url: str, secret: str, message_id: str, body: str) -> int:
    """POST to the address checked just now (not a second lookup) and read at most a bounded
    part of the answer; returns the status code."""
    target = check_url(url)
    parsed = httpx.URL(url)
    host = f"[{target.address}]" if ":" in target.address else target.address
    pinned = parsed.copy_with(host=host.strip("[]"))
    headers = signed_headers(secret, message_id, body)
    headers["host"] = parsed.netloc.decode("ascii")
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    limit = int(app.config["WEBHOOK_RESPONSE_BYTES"])
    with client.stream("POST", pinned, content=body.encode(), headers=headers, extensions=extensions) as response:
        read = 0
        for chunk in response.iter_raw():
            read += len(chunk)
            if read >= limit:
                break
        return response.status_code


def _finish(db, row: WebhookDelivery, *, status: str, code: int | None, error: str | None, millis: int,
            endpoint_ok: bool | None, retry_in: float = 0) -> None:
    now = utcnow()
    values = {"status": status, "response_code": code, "last_error": (error or None) and error[:500],
              "claimed_at": None}
    if status == "pending":
        values["due_at"] = now + timedelta(seconds=retry_in)
    else:
        values["finished_at"] = now
    with db.write_session() as session:
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id == row.id).values(**values))
        session.add(WebhookAttempt(delivery_id=row.id, number=row.attempts, attempted_at=now, response_code=code,
                                   error=(error or None) and error[:500], milliseconds=millis))
        if endpoint_ok is True:
            session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == row.endpoint_id,
                                                          WebhookEndpoint.failures != 0).values(failures=0))
        elif endpoint_ok is False:
            _count_failure(session, row.endpoint_id)


def _count_failure(session, endpoint_id: int) -> None:
    """One more failure in a row; at ``WEBHOOK_DISABLE_AFTER`` switch the endpoint off, once, and tell the admins."""
    table = WebhookEndpoint.__table__.c
    session.execute(update(WebhookEndpoint).where(table.id == endpoint_id).values(failures=table.failures + 1))
    limit = int(current_app.config["WEBHOOK_DISABLE_AFTER"])
    switched = session.execute(update(WebhookEndpoint).where(
        table.id == endpoint_id, table.enabled.is_(True), table.failures >= limit)
        .values(enabled=False, disabled_at=utcnow())).rowcount
    if not switched:
        return
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    session.add(AuditEntry(actor_id=None, action="webhooks.disable", target=f"webhook:{endpoint_id}",
                           detail=f"{limit} failed deliveries in a row"))
    session.execute(update(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id,
                                                  WebhookDelivery.status == "pending")
                    .values(status="failed", last_error="endpoint switched off", finished_at=utcnow()))
    _notify_admins(session, endpoint, limit)
    from core.webhooks.events import forget_subscriptions

    forget_subscriptions()


def _notify_admins(session, endpoint: WebhookEndpoint, limit: int) -> None:
    from core.notifications import notify
    from core.ui import path_for

    url = path_for("webhooks.endpoint", endpoint_id=endpoint.id)
    address = endpoint.url[:120]
    for (admin_id,) in session.execute(select(User.id).where(User.role == Role.admin.value, User.is_active.is_(True))):
        notify(session, user_id=admin_id, plugin="core", kind="webhook-disabled", url=url,
               message=lambda: _("The webhook to %(url)s is switched off after %(num)d failed deliveries in a row.",
                                 url=address, num=limit))
