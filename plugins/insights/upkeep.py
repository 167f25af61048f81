"""Keeping the rollups small: day-level sets are needed only while their day can still be
touched (the counts stay), and visitor hashes and salts only for their own day."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete
from sqlmodel import Session

from .models import InsightsSalt, InsightsTouch, InsightsVisitor

KEEP_DAYS = 7


def prune(session: Session, today: date) -> int:
    """Delete day sets older than KEEP_DAYS and every salt and visitor hash before today; returns rows deleted."""
    oldest = (today - timedelta(days=KEEP_DAYS)).isoformat()
    deleted = session.execute(delete(InsightsTouch).where(InsightsTouch.period == "day",
                                                          InsightsTouch.period_key < oldest)).rowcount
    deleted += session.execute(delete(InsightsVisitor).where(InsightsVisitor.day < today)).rowcount
    deleted += session.execute(delete(InsightsSalt).where(InsightsSalt.day < today)).rowcount
    return deleted


def rebuild(session: Session, *, calendar=None, progress=None) -> int:
    """Rebuild the activity rollups from the ledger and the activity history, oldest first:
    for a library switching the dashboard on with history behind it (``engage insights rebuild``)
    and for the demo, whose point history is written before its listeners could date it.
    Campaign counts and messages are left alone. Returns the events replayed."""
    import heapq

    from sqlalchemy import select

    from core.models import ActivityEntry, PointEntry
    from core.terms import current_calendar

    from .models import (InsightsActive, InsightsCohort, InsightsCounter, InsightsKind, InsightsKindReader,
                         InsightsPending, InsightsReader)
    from .rollups import note_activity

    calendar = calendar or current_calendar()
    # Pending events are in the history replayed below.
    for table in (InsightsPending, InsightsTouch, InsightsActive, InsightsReader, InsightsCohort, InsightsKind,
                  InsightsKindReader, InsightsCounter):
        session.execute(delete(table))
    awards = session.execute(select(PointEntry.created_at, PointEntry.user_id).where(PointEntry.amount > 0)
                             .order_by(PointEntry.created_at, PointEntry.id)).all()
    activities = session.execute(select(ActivityEntry.created_at, ActivityEntry.user_id, ActivityEntry.plugin,
                                        ActivityEntry.kind).order_by(ActivityEntry.created_at, ActivityEntry.id)).all()
    events = heapq.merge(((at, user_id, None, None) for at, user_id in awards), (tuple(row) for row in activities),
                         key=lambda event: event[0])
    count = 0
    for at, user_id, plugin, kind in events:
        note_activity(session, user_id=user_id, plugin=plugin, kind=kind, at=at, calendar=calendar)
        count += 1
        if progress and count % 10_000 == 0:
            progress(count)
    return count
