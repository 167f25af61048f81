"""Recording what users do in activities, once per event, for badges and counts.

Badges (and plugins) hear of activities through ``engage_activities_recorded`` (the new
activities of one call, together) or ``engage_activity_recorded`` (one at a time); this module
imports nothing above the ledger.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, NamedTuple

from sqlalchemy import func, select
from sqlmodel import Session

from core.ledger_sql import insert_for, insert_rows
from core.models import ActivityEntry, utcnow

CHUNK = 500


class Activity(NamedTuple):
    """A recorded activity as listeners of ``engage_activities_recorded`` read it (the columns of
    ``ActivityEntry``; a plain tuple, cheap to build by the thousand)."""

    id: int
    user_id: int
    plugin: str
    kind: str
    source_ref: str
    created_at: datetime


def record_activity(session: Session, *, user_id: int, plugin: str, kind: str, source_ref: str) -> ActivityEntry | None:
    """Record that a user did ``kind`` in ``plugin`` (e.g. ``contributions``/``submission-approved``).

    The same (plugin, kind, source_ref, user) is recorded once; a repeat returns None and
    fires no event. Listeners run in the caller's transaction.
    """
    at = utcnow()
    stmt = (insert_for(session)(ActivityEntry)
            .values(user_id=user_id, plugin=plugin, kind=kind, source_ref=source_ref, created_at=at)
            .on_conflict_do_nothing(index_elements=["plugin", "kind", "source_ref", "user_id"])
            .returning(ActivityEntry.id))
    activity_id = session.execute(stmt).scalar()
    if activity_id is None:
        return None
    _announce(session, [Activity(activity_id, user_id, plugin, kind, source_ref, at)])
    return ActivityEntry(id=activity_id, user_id=user_id, plugin=plugin, kind=kind, source_ref=source_ref,
                         created_at=at)


def record_activities(session: Session, rows: Iterable[tuple[int, str, str, str]]) -> list[Activity]:
    """Record many activities at once, each ``(user_id, plugin, kind, source_ref)``, as
    ``record_activity`` does one: a repeat records nothing. One ``INSERT … ON CONFLICT DO NOTHING``
    per 500 rows; listeners hear the new activities together, in (user, id) order. Returns them."""
    at = utcnow()
    table = ActivityEntry.__table__
    made = [Activity(*row, at) for row in insert_rows(
        session, "core.activities", table, ("user_id", "plugin", "kind", "source_ref", "created_at"),
        [(*row, at) for row in rows], chunk=CHUNK, finish=lambda insert: (
            insert.on_conflict_do_nothing(index_elements=["plugin", "kind", "source_ref", "user_id"])
            .returning(table.c.id, table.c.user_id, table.c.plugin, table.c.kind, table.c.source_ref)))]
    made.sort(key=lambda a: (a.user_id, a.id))
    if made:
        _announce(session, made)
    return made


def _announce(session: Session, activities: list[Activity]) -> None:
    """Listeners of ``engage_activities_recorded`` hear the list once; listeners of
    ``engage_activity_recorded`` hear each activity (as an ``ActivityEntry``)."""
    from core.plugins import current_hooks  # badges listen here as plugins do

    hooks = current_hooks()
    hooks.engage_activities_recorded(session=session, activities=activities)
    one_by_one = hooks.engage_activity_recorded
    if one_by_one.get_hookimpls():
        for activity in activities:
            one_by_one(session=session, activity=ActivityEntry(**activity._asdict()))


def activity_count(session: Session, *, user_id: int, plugin: str, kind: str) -> int:
    """How many times a user has done ``kind`` in ``plugin``."""
    return activity_counts(session, [user_id], plugin=plugin, kind=kind).get(user_id, 0)


def activity_counts(session: Session, user_ids: Iterable[int], *, plugin: str, kind: str) -> dict[int, int]:
    """How many times each of ``user_ids`` has done ``kind`` in ``plugin`` (users with none left out)."""
    ordered, counts = sorted(set(user_ids)), {}
    for i in range(0, len(ordered), CHUNK):
        counts.update(session.execute(
            select(ActivityEntry.user_id, func.count()).where(
                ActivityEntry.user_id.in_(ordered[i:i + CHUNK]), ActivityEntry.plugin == plugin,
                ActivityEntry.kind == kind).group_by(ActivityEntry.user_id)).all())
    return counts
