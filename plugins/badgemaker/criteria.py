"""The criteria this plugin offers from core's own records (hook ``engage_badge_criteria``):
points reached, activities of a kind (any plugin's, from core's activity log) and weeks in a row.
Other plugins offer theirs (events attended…) through the same hook."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Integer, and_, func, or_, select
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


class LocalClock:
    """Library time for many moments at once: the zone's offset is looked up once per UTC hour
    (offsets change on the hour), not per row, which ``astimezone`` would do."""

    def __init__(self, tz) -> None:
        self.tz = tz or timezone.utc
        self._offsets: dict[datetime, timedelta] = {}

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        hour = moment.replace(minute=0, second=0, microsecond=0)
        offset = self._offsets.get(hour)
        if offset is None:
            offset = self._offsets[hour] = hour.astimezone(self.tz).utcoffset()
        return (moment + offset).replace(tzinfo=None)

    def within(self, moment: datetime, hours: tuple[int, int]) -> bool:
        """Whether ``moment`` falls in the window ``hours`` (minutes after local midnight; may wrap)."""
        local = self.local(moment)
        minute, (start, end) = local.hour * 60 + local.minute, hours
        return start <= minute < end if start < end else minute >= start or minute < end


def _fixed_offset(tz) -> timedelta | None:
    """The zone's offset if it has not changed in this century (no summer time), else None."""
    year = utcnow().year
    offsets = {datetime(y, m, 15, tzinfo=timezone.utc).astimezone(tz).utcoffset()
               for y in range(2000, year + 2) for m in (1, 4, 7, 10)}
    return offsets.pop() if len(offsets) == 1 else None


def hours_condition(session: Session, hours: tuple[int, int], tz):
    """The window of hours as a SQL condition on ``created_at`` (None where the database cannot
    say, and the rows are filtered one by one instead): PostgreSQL converts to library time
    itself; on SQLite a zone without summer time shifts the window to UTC."""
    column, tz = ActivityEntry.created_at, tz or timezone.utc
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and getattr(tz, "key", None):
        local = func.timezone(tz.key, column)
        minute, shift = func.extract("hour", local) * 60 + func.extract("minute", local), 0
    elif dialect == "sqlite":
        offset = _fixed_offset(tz)
        if offset is None:
            return None
        minute = (func.cast(func.strftime("%H", column), Integer) * 60
                  + func.cast(func.strftime("%M", column), Integer))
        shift = int(offset.total_seconds() // 60)
    else:
        return None
    start, end = (hours[0] - shift) % 1440, (hours[1] - shift) % 1440
    if start < end:
        return and_(minute >= start, minute < end)
    return or_(minute >= start, minute < end)


def week_column(session: Session, tz):
    """The Monday (library time) of each activity's week, computed by the database, or None where
    it cannot (SQLite with a zone that has summer time): the streak then reads each row."""
    column, tz = ActivityEntry.created_at, tz or timezone.utc
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and getattr(tz, "key", None):
        return func.date(func.date_trunc("week", func.timezone(tz.key, column)))
    if dialect == "sqlite":
        offset = _fixed_offset(tz)
        if offset is not None:
            shift = f"{int(offset.total_seconds() // 60):+d} minutes"
            return func.date(column, shift, "weekday 0", "-6 days")
    return None


def _one_readers(session: Session, option: str, scope: CriterionScope, user_id: int) -> list[datetime]:
    """One reader's matching moments, read through the index on the reader (a reader has few rows;
    filtering by kind first would make the database walk every reader's rows of that kind)."""
    pair = _split(option)
    query = select(ActivityEntry.plugin, ActivityEntry.kind, ActivityEntry.created_at).where(
        ActivityEntry.user_id == user_id)
    moments = []
    for plugin, kind, at in session.execute(query):
        if pair is None or (plugin, kind) == pair:
            if (scope.since is None or at >= scope.since) and (scope.until is None or at < scope.until):
                moments.append(at)
    return moments


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
    if user_id is not None:
        moments = _one_readers(session, option, scope, user_id)
        if scope.hours is not None:
            clock = LocalClock(scope.tz)
            moments = [at for at in moments if clock.within(at, scope.hours)]
        return {user_id: len(moments)} if moments else {}
    window = hours_condition(session, scope.hours, scope.tz) if scope.hours is not None else None
    if scope.hours is None or window is not None:
        query = _activity_query((ActivityEntry.user_id, func.count()), option, scope, user_id)
        if window is not None:
            query = query.where(window)
        return dict(session.execute(query.group_by(ActivityEntry.user_id)).all())
    counts: dict[int, int] = {}
    clock, hours = LocalClock(scope.tz), scope.hours
    query = _activity_query((ActivityEntry.user_id, ActivityEntry.created_at), option, scope, None)
    for who, at in session.execute(query.execution_options(yield_per=5000)):
        if clock.within(at, hours):
            counts[who] = counts.get(who, 0) + 1
    return counts


def count_streak(session: Session, *, option: str, scope: CriterionScope, user_id: int | None = None) -> dict[int, int]:
    """Weeks in a row with an activity (of a kind, or any), counted back from this week (or from
    the end of the term): the current week may still be empty; holiday weeks are skipped."""
    from core.badges import holiday_weeks
    from core.points import current_calendar

    calendar, holidays = current_calendar(), holiday_weeks()
    clock = LocalClock(calendar.tz)
    at = min(utcnow(), scope.until - timedelta(seconds=1)) if scope.until is not None else utcnow()
    earliest = at - timedelta(weeks=MAX_STREAK_WEEKS + len(holidays) + 1)
    if user_id is not None:
        rows = [(user_id, moment) for moment in _one_readers(session, option, scope, user_id)
                if earliest <= moment <= at]
    else:
        monday = week_column(session, calendar.tz)
        columns = (ActivityEntry.user_id, monday if monday is not None else ActivityEntry.created_at)
        query = _activity_query(columns, option, scope, None)
        query = query.where(ActivityEntry.created_at >= earliest, ActivityEntry.created_at <= at)
        window = hours_condition(session, scope.hours, calendar.tz) if scope.hours is not None else None
        if window is not None:
            query = query.where(window)
        if monday is not None and (scope.hours is None or window is not None):
            return _streaks(calendar, clock, holidays, at, _weeks_of_mondays(session.execute(query.distinct())))
        rows = session.execute(query.execution_options(yield_per=5000))
    weeks: dict[int, set[str]] = {}
    week_of: dict = {}
    for who, moment in rows:
        if scope.hours is not None and not clock.within(moment, scope.hours):
            continue
        day = clock.local(moment).date()
        week = week_of.get(day)
        if week is None:
            iso = day.isocalendar()
            week = week_of[day] = f"{iso.year}-W{iso.week:02d}"
        weeks.setdefault(who, set()).add(week)
    return _streaks(calendar, clock, holidays, at, weeks)


def _weeks_of_mondays(rows) -> dict[int, set[str]]:
    weeks: dict[int, set[str]] = {}
    names: dict = {}
    for who, monday in rows:
        week = names.get(monday)
        if week is None:
            day = monday if isinstance(monday, date) else date.fromisoformat(str(monday)[:10])
            iso = day.isocalendar()
            week = names[monday] = f"{iso.year}-W{iso.week:02d}"
        weeks.setdefault(who, set()).add(week)
    return weeks


def _streaks(calendar, clock, holidays, at, weeks: dict[int, set[str]]) -> dict[int, int]:
    """Each reader's run of weeks, counted back from the week of ``at``."""
    day, current = clock.local(at).date(), calendar.keys(at)["week"]
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
    from core.views import activity_label

    host = get_host()
    pairs = session.execute(select(ActivityEntry.plugin, ActivityEntry.kind)
                            .group_by(ActivityEntry.plugin, ActivityEntry.kind)).all()
    options = [(ANY, _("any activity"))]
    for plugin, kind in sorted(pairs):
        if plugin != "core" and not host.is_enabled(plugin):
            continue
        title = pick(host.infos[plugin].title) if plugin in host.infos else plugin
        options.append((f"{plugin}/{kind}", f"{title}: {activity_label(plugin, kind)}"))
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
