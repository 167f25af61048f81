"""Readers' rights for what the insights plugin holds about a person: the days, weeks, months
and terms they were active, their first and last active day, the activities they took part in,
and messages they sent to segments (librarians). Counts stay: they name nobody.

Behind the hooks engage_user_data and engage_forget_user (plugin.py).
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlmodel import Session

from .models import InsightsKindReader, InsightsMessage, InsightsPending, InsightsReader, InsightsTouch


def user_data(session: Session, user_id: int) -> dict[str, list[dict]]:
    """Everything this plugin holds about ``user_id``, as rows per file stem."""
    reader = session.get(InsightsReader, user_id)
    touches = session.execute(select(InsightsTouch).where(InsightsTouch.user_id == user_id)
                              .order_by(InsightsTouch.period, InsightsTouch.period_key, InsightsTouch.plugin)).scalars()
    kinds = session.execute(select(InsightsKindReader).where(InsightsKindReader.user_id == user_id)
                            .order_by(InsightsKindReader.term, InsightsKindReader.plugin, InsightsKindReader.kind)).scalars()
    messages = session.execute(select(InsightsMessage).where(InsightsMessage.sender_id == user_id)
                               .order_by(InsightsMessage.id)).scalars()
    return {
        "insights_reader": [] if reader is None else [{
            "first_active_day": reader.first_day.isoformat(), "first_week": reader.first_week,
            "came_back_on": reader.returned_day.isoformat() if reader.returned_day else None,
            "last_active_day": reader.last_day.isoformat()}],
        "insights_active_periods": [{"period": t.period, "key": t.period_key, "plugin": t.plugin or None}
                                    for t in touches],
        "insights_activities": [{"term": k.term, "plugin": k.plugin, "activity": k.kind} for k in kinds],
        "insights_messages_sent": [{"id": m.id, "text": m.text, "segment": m.segment, "recipients": m.recipients,
                                    "sent_at": m.created_at.isoformat()} for m in messages],
    }


def forget_user(session: Session, user_id: int) -> None:
    """Delete the person's uncounted events, activity sets and reader row; keep messages they sent, without the sender.

    The counters keep their numbers (they name nobody); in the caller's transaction, no commit.
    """
    session.execute(delete(InsightsPending).where(InsightsPending.user_id == user_id))
    session.execute(delete(InsightsTouch).where(InsightsTouch.user_id == user_id))
    session.execute(delete(InsightsKindReader).where(InsightsKindReader.user_id == user_id))
    session.execute(delete(InsightsReader).where(InsightsReader.user_id == user_id))
    session.execute(update(InsightsMessage).where(InsightsMessage.sender_id == user_id).values(sender_id=None))
