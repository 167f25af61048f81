"""Retention: readers' accounts unseen for the years an administrator set are anonymised, a
batch at a time, by a daily job (``core:retention``; ``engage jobs run core:retention`` by hand).

Idempotent: an account is taken only while ``anonymised_at`` is empty, so a repeated or
concurrent run changes nothing twice. Staff accounts are never anonymised by time.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from core.hookspecs import hookimpl
from core.identity.privacy import forget_user
from core.identity.settings import retention_years
from core.jobs import PeriodicJob, crontab
from core.models import Role, User, utcnow

BATCH = 200


def due(session, *, years: int, now=None, limit: int = BATCH) -> list[int]:
    """Ids of readers' accounts last seen (or made, if never seen) more than ``years`` ago."""
    cutoff = (now or utcnow()) - timedelta(days=round(365.25 * years))
    seen = func.coalesce(User.last_seen_at, User.created_at)
    return list(session.execute(select(User.id).where(User.anonymised_at.is_(None), User.role == Role.student.value,
                                                      seen < cutoff).order_by(User.id).limit(limit)).scalars())


def anonymise_inactive(app=None, *, now=None) -> int:
    """Anonymise every account due under the retention setting; returns how many."""
    app = app or current_app._get_current_object()
    database = app.extensions["engage.db"]
    done = 0
    with app.app_context():
        with database.session() as session:
            years = retention_years(session)
        if years <= 0:
            return 0
        while True:
            with database.session() as session:
                batch = due(session, years=years, now=now)
            if not batch:
                return done
            for user_id in batch:
                with database.write_session() as session:
                    user = session.get(User, user_id)
                    if user is None or user.anonymised_at is not None:
                        continue
                    forget_user(session, user_id=user_id, actor_id=None, action="account.anonymise",
                                reason=f"no sign-in for {years} years")
                    done += 1


def run() -> None:
    """The periodic job's body."""
    anonymise_inactive()


@hookimpl
def engage_jobs():
    return [PeriodicJob("core:retention", "core", run, crontab(hour="3", minute="40"))]
