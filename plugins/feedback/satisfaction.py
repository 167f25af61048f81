"""Readers' satisfaction offered to dashboards (``engage_satisfaction``): ratings of answers,
answers given, and "you said, we did" (items published as a change, or that inspired one)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from core.hookspecs import Satisfaction

from .models import FeedbackInspiration, FeedbackItem


def measure(session: Session, start: datetime, end: datetime) -> Satisfaction:
    """Ratings given, answers sent and changes made from ``start`` to ``end`` (excluded)."""
    ratings = dict(session.execute(select(FeedbackItem.rating, func.count()).where(
        FeedbackItem.rating.is_not(None), FeedbackItem.rated_at >= start, FeedbackItem.rated_at < end)
        .group_by(FeedbackItem.rating)).all())
    answered = session.execute(select(func.count()).select_from(FeedbackItem).where(
        FeedbackItem.responded_at >= start, FeedbackItem.responded_at < end)).scalar_one()
    published = set(session.execute(select(FeedbackItem.id).where(
        FeedbackItem.published.is_(True), FeedbackItem.responded_at >= start, FeedbackItem.responded_at < end)).scalars())
    inspired = set(session.execute(select(FeedbackInspiration.item_id).where(
        FeedbackInspiration.created_at >= start, FeedbackInspiration.created_at < end)).scalars())
    return Satisfaction("feedback", {int(k): int(v) for k, v in ratings.items()}, len(published | inspired), answered)
