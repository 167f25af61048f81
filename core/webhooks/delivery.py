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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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
    """Send up to ``limit`` due deliveries, ``WEBHOOK_CONCURRENCY`` at a time, and record every
    outcome in one transaction; returns how many were tried (0: nothing is due)."""
    with app.app_context():
        db = app.extensions["engage.db"]
        ids = _claim(db, limit)
        if not ids:
            return 0
        jobs = _load(db, ids)
        workers = max(1, min(int(app.config["WEBHOOK_CONCURRENCY"]), len(jobs)))
        with _client(app) as client:
            if workers == 1:
                outcomes = [_attempt(app, client, job) for job in jobs]
            else:
                with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook") as pool:
                    outcomes = list(pool.map(lambda job: _attempt(app, client, job), jobs))
        _record(app, db, outcomes)
        return len(ids)


@dataclass(frozen=True)
class _Job:
    delivery_id: int
    endpoint_id: int
    attempt: int
    message_id: str
    body: str
    url: str | None  # None: the endpoint is gone or switched off
    secret: str | None


@dataclass(frozen=True)
class _Outcome:
    job: _Job
    code: int | None
    error: str | None
    millis: int


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


def _load(db, ids: list[int]) -> list[_Job]:
    deliveries, endpoints = WebhookDelivery.__table__.c, WebhookEndpoint.__table__.c
    query = (select(deliveries.id, deliveries.endpoint_id, deliveries.attempts, deliveries.message_id,
                    deliveries.payload, endpoints.url, endpoints.secret, endpoints.enabled)
             .join_from(WebhookDelivery.__table__, WebhookEndpoint.__table__, deliveries.endpoint_id == endpoints.id)
             .where(deliveries.id.in_(ids)).order_by(deliveries.id))
    with db.session() as session:
        return [_Job(row.id, row.endpoint_id, row.attempts, row.message_id, row.payload,
                     row.url if row.enabled else None, row.secret) for row in session.execute(query)]


def _attempt(app: Flask, client: httpx.Client, job: _Job) -> _Outcome:
    """One POST (in a thread of the pool: its own app context); never raises."""
    if job.url is None:
        return _Outcome(job, None, "endpoint switched off", 0)
    started = time.perf_counter()
    code, error = None, None
    with app.app_context():
        try:
            code = _post(app, client, job.url, job.secret, job.message_id, job.body)
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except AddressRefused as exc:
            error = str(exc)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        except Exception as exc:  # noqa: BLE001 - one broken delivery must not lose the batch's outcomes
            log.exception("webhook delivery %s", job.delivery_id)
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")
    return _Outcome(job, code, error, int((time.perf_counter() - started) * 1000))


def _post(app: Flask, client: httpx.Client, url: str, secret: str, message_id: str, body: str) -> int:
    """POST to the address checked just now (not a second lookup) and read at most a bounded
    part of the answer; returns the status code."""
    target = check_url(url)
    parsed = httpx.URL(url)
    pinned = parsed.copy_with(host=target.address)
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


def _record(app: Flask, db, outcomes: list[_Outcome]) -> None:
    """Every outcome of a batch in one transaction: the delivery, its attempt, the endpoint's count."""
    now = utcnow()
    max_attempts, retry = int(app.config["WEBHOOK_MAX_ATTEMPTS"]), float(app.config["WEBHOOK_RETRY_SECONDS"])
    with db.write_session() as session:
        for outcome in outcomes:
            job, error = outcome.job, outcome.error
            values = {"response_code": outcome.code, "last_error": error and error[:500], "claimed_at": None}
            if error is None:
                values.update(status="delivered", finished_at=now)
            elif job.url is None or job.attempt >= max_attempts:
                values.update(status="failed", finished_at=now)
            else:
                values.update(status="pending", due_at=now + timedelta(seconds=retry * 2 ** (job.attempt - 1)))
                log.info("webhook delivery %s to endpoint %s failed (attempt %s): %s", job.delivery_id,
                         job.endpoint_id, job.attempt, error)
            session.execute(update(WebhookDelivery).where(WebhookDelivery.id == job.delivery_id).values(**values))
            session.add(WebhookAttempt(delivery_id=job.delivery_id, number=job.attempt, attempted_at=now,
                                       response_code=outcome.code, error=error and error[:500],
                                       milliseconds=outcome.millis))
            if job.url is None:
                continue
            if error is None:
                session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == job.endpoint_id,
                                                              WebhookEndpoint.failures != 0).values(failures=0))
            else:
                _count_failure(session, job.endpoint_id)


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
