"""Recording what users do in activities, once per event, for badges and counts.

Badges (and plugins) hear of an activity through ``engage_activity_recorded``; this module
imports nothing above the ledger.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from core.models import ActivityEntry, utcnow
from core.ledger_sql import insert_for


def record_activity(session: Session, *, user_id: int, plugin: str, kind: str, source_ref: str) -> ActivityEntry | None:
    """Record that a user did ``kind`` in ``plugin`` (e.g. ``contributions``/``submission-approved``).

    The same (plugin, kind, source_ref, user) is recorded once; a repeat returns None and
    fires no event. Listeners of ``engage_activity_recorded`` run in the caller's transaction.
    """
    at = utcnow()
    stmt = (insert_for(session)(ActivityEntry)
            .values(user_id=user_id, plugin=plugin, kind=kind, source_ref=source_ref, created_at=at)
            .on_conflict_do_nothing(index_elements=["plugin", "kind", "source_ref", "user_id"])
            .returning(ActivityEntry.id))
    activity_id = session.execute(stmt).scalar()
    if activity_id is None:
        return None
    activity = ActivityEntry(id=activity_id, user_id=user_id, plugin=plugin, kind=kind, source_ref=source_ref,
                             created_at=at)
    from core.plugins import current_hooks  # badges listen here as plugins do

    current_hooks().engage_activity_recorded(session=session, activity=activity)
    return activity


def activity_count(session: Session, *, user_id: int, plugin: str, kind: str) -> int:
    """How many times a user has done ``kind`` in ``plugin``."""
    return session.execute(select(func.count()).select_from(ActivityEntry).where(
        ActivityEntry.user_id == user_id, ActivityEntry.plugin == plugin, ActivityEntry.kind == kind)).scalar_one()
