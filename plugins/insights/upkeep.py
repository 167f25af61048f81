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
