"""The criteria this plugin offers from core's own records (hook ``engage_badge_criteria``):
points reached, activities of a kind (any plugin's, from core's activity log) and weeks in a row.
Other plugins offer theirs (events attended…) through the same hook."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from core.badge_criteria import BadgeCriterion, CriterionScope
from core.i18n import pick
from core.models import ActivityEntry, PointTotal, utcnow

from .i18n import _, _l

ANY = "*"
MAX_STREAK_WEEKS = 104


def _split(option: str) -> tuple[str, str] | None:
    """``"plugin/kind"`` → (plugin, kind); ``"*"`` → None (any activity)."""
    if option == ANY:
        return None
    plugin, _sep, kind = option.partition("/")
    return plugin, kind


def _triggers(option: str) -> tuple:
    return (_split(option),)


def _activity_query(columns, option: str, scope: CriterionScope, user_id: int | None):
    query = select(*columns)
    pair = _split(option)
    if pair is not None:
        query = query.where(ActivityEntry.plugin == pair[0], ActivityEntry.kind == pair[1])
    if user_id is not None:
        query = query.where(ActivityEntry.user_id == user_id)
    if scope.since is not None:
        query = query.where(ActivityEntry.created_at >= scope.since)
    if scope.until is not None:
        query = query.where(ActivityEntry.created_at < scope.until)
    return query


def count_points(session: Session, *, option: str, scope: CriterionScope, user_id: int | None = None) -> dict[int, int]:
    """All-time points, from the totals core keeps (never the ledger)."""
    query = select(PointTotal.user_id, PointTotal.total).where(PointTotal.total > 0)
    if user_id is not None:
        query = query.where(PointTotal.user_id == user_id)
    return dict(session.execute(query).all())


def count_activities(session: Session, *, option: str, scope: CriterionScope,
                     user_id: int | None = None) -> dict[int, int]:
    """Activities of a kind (or of any kind) within the scope: one grouped query, or, with hours
    of the day (which depend on the library's time zone), one pass over the matching rows."""
    if scope.hours is None:
        query = _activity_query((ActivityEntry.user_id, func.count()), option, scope, user_id)
        return dict(session.execute(query.group_by(ActivityEntry.user_id)).all())
    counts: dict[int, int] = {}
    query = _activity_query((ActivityEntry.user_id, ActivityEntry.created_at), option, scope, user_id)
    for who, at in session.execute(query.execution_options(yield_per=5000)):
        if scope.admits(at):
            counts[who] = counts.get(who, 0) + 1
    return counts


def count_streak(session: Session, *, option: str, scope: CriterionScope, user_id: int | None = None) -> dict[int, int]:
    """Weeks in a row with an activity (of a kind, or any), counted back from this week (or from
    the end of the term): the current week may still be empty; holiday weeks are skipped."""
    from core.badges import holiday_weeks
    from core.points import current_calendar

    calendar, holidays = current_calendar(), holiday_weeks()
    at = min(utcnow(), scope.until - timedelta(seconds=1)) if scope.until is not None else utcnow()
    earliest = at - timedelta(weeks=MAX_STREAK_WEEKS + len(holidays) + 1)
    query = _activity_query((ActivityEntry.user_id, ActivityEntry.created_at), option, scope, user_id)
    query = query.where(ActivityEntry.created_at >= earliest, ActivityEntry.created_at <= at)
    weeks: dict[int, set[str]] = {}
    for who, moment in session.execute(query.execution_options(yield_per=5000)):
        if scope.hours is None or scope.admits(moment):
            weeks.setdefault(who, set()).add(calendar.keys(moment)["week"])
    day, current = calendar.local_date(at), calendar.keys(at)["week"]
    result = {}
    for who, active in weeks.items():
        streak = 0
        for step in range(MAX_STREAK_WEEKS + len(holidays) + 1):
            iso = (day - timedelta(weeks=step)).isocalendar()
            week = f"{iso.year}-W{iso.week:02d}"
            if week in holidays:
                continue
            if week in active:
                streak += 1
            elif week != current:
                break
        if streak:
            result[who] = streak
    return result


def activity_options(session: Session) -> list[tuple[str, str]]:
    """Any activity, then each kind recorded so far by a switched-on plugin (or core)."""
    from core.plugins import get_host

    host = get_host()
    pairs = session.execute(select(ActivityEntry.plugin, ActivityEntry.kind)
                            .group_by(ActivityEntry.plugin, ActivityEntry.kind)).all()
    options = [(ANY, _("any activity"))]
    for plugin, kind in sorted(pairs):
        if plugin != "core" and not host.is_enabled(plugin):
            continue
        title = pick(host.infos[plugin].title) if plugin in host.infos else plugin
        options.append((f"{plugin}/{kind}", f"{title}: {kind.replace('_', ' ').replace('-', ' ')}"))
    return options


def offered() -> list[BadgeCriterion]:
    """What this plugin counts for made badges."""
    return [
        BadgeCriterion("badgemaker:points", _l("Points reached (all time)"), count_points, points=True,
                       scopes=frozenset(), max_goal=10_000_000, order=10),
        BadgeCriterion("badgemaker:activities", _l("Activities"), count_activities, options=activity_options,
                       triggers=_triggers, order=20),
        BadgeCriterion("badgemaker:streak", _l("Weeks in a row with an activity"), count_streak,
                       options=activity_options, triggers=_triggers, max_goal=MAX_STREAK_WEEKS, order=30),
    ]
