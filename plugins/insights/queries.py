"""The dashboard's figures, each read from the rollups in one or two indexed queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session

from core.periods import Calendar, TermSpan, default_term

from .models import InsightsActive, InsightsCohort, InsightsCounter, InsightsKind
from .rollups import ANY, previous_term_key, week_key, week_start
from .roster import registered_readers, roster_sizes

PERIODS = ("day", "week", "month", "term")
MAX_POINTS = {"day": 92, "week": 104, "month": 60, "term": 20}  # a chart stays readable


@dataclass(frozen=True)
class Point:
    """One period of the active-readers series."""

    key: str
    readers: int
    new: int

    @property
    def returning(self) -> int:
        return self.readers - self.new


def terms_between(calendar: Calendar, start: date, end: date) -> list[TermSpan]:
    """The terms overlapping ``start``–``end`` (configured ones, else the default rule)."""
    if calendar.terms:
        return [t for t in calendar.terms if t.starts_on <= end and t.ends_on >= start]
    terms, day = [], start
    while day <= end:
        term = default_term(day)
        terms.append(term)
        day = term.ends_on + timedelta(days=1)
    return terms


def period_keys_between(calendar: Calendar, period: str, start: date, end: date) -> list[str]:
    """Every key of ``period`` from ``start`` to ``end`` (both included), oldest first."""
    if period == "day":
        return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]
    if period == "week":
        keys, day = [], week_start(week_key(start))
        while day <= end:
            keys.append(week_key(day))
            day += timedelta(days=7)
        return keys
    if period == "month":
        keys, year, month = [], start.year, start.month
        while (year, month) <= (end.year, end.month):
            keys.append(f"{year}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return keys
    return [t.key for t in terms_between(calendar, start, end)]


def active_series(session: Session, *, period: str, keys: list[str], plugin: str = ANY) -> list[Point]:
    """Readers active in each period of ``keys`` (any activity, or ``plugin``), with the new ones."""
    if not keys:
        return []
    table = InsightsActive
    rows = session.execute(select(table.period_key, table.readers, table.new_readers).where(
        table.period == period, table.plugin == plugin, table.faculty == ANY,
        table.period_key >= min(keys), table.period_key <= max(keys))).all()
    found = {key: (readers, new) for key, readers, new in rows}
    return [Point(key, *found.get(key, (0, 0))) for key in keys]


def plugin_participation(session: Session, *, period: str, key: str) -> list[tuple[str, int]]:
    """``(plugin, readers)`` active in each plugin during one period, most readers first."""
    table = InsightsActive
    rows = session.execute(select(table.plugin, table.readers).where(
        table.period == period, table.period_key == key, table.faculty == ANY, table.plugin != ANY)).all()
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def activity_participation(session: Session, *, term: str) -> list[InsightsKind]:
    """Readers and events per activity (plugin, kind) during a term, most readers first."""
    rows = session.execute(select(InsightsKind).where(InsightsKind.term == term)).scalars().all()
    return sorted(rows, key=lambda row: (-row.readers, row.plugin, row.kind))


@dataclass(frozen=True)
class Uptake:
    """A faculty's readers active in a term against its roster."""

    faculty: str
    roster: int
    active: int

    @property
    def share(self) -> float | None:
        return self.active / self.roster if self.roster else None


def faculty_uptake(session: Session, *, term: str) -> list[Uptake]:
    """Every faculty of the roster (and any with activity but no roster), lowest share first."""
    table = InsightsActive
    active = dict(session.execute(select(table.faculty, table.readers).where(
        table.period == "term", table.period_key == term, table.plugin == ANY, table.faculty != ANY)).all())
    roster = roster_sizes(session)
    rows = [Uptake(faculty, roster.get(faculty, 0), active.get(faculty, 0)) for faculty in set(roster) | set(active)]
    return sorted(rows, key=lambda u: (u.share if u.share is not None else 2, u.faculty))


@dataclass(frozen=True)
class Funnel:
    """Registered readers → active once → active again in another week."""

    registered: int
    activated: int
    returned: int


def funnel(session: Session) -> Funnel:
    counts = dict(session.execute(select(InsightsCounter.name, InsightsCounter.value)).all())
    return Funnel(registered_readers(session), counts.get("activated", 0), counts.get("returned", 0))


@dataclass(frozen=True)
class Cohort:
    """Readers whose first week is ``week``, and how many were active in each later week."""

    week: str
    size: int
    later: list[int | None]  # None: that week has not come yet

    def share(self, index: int) -> float | None:
        value = self.later[index]
        return None if value is None or not self.size else value / self.size


def cohorts(session: Session, *, last_week: str, weeks: int = 8) -> list[Cohort]:
    """The ``weeks`` cohorts up to ``last_week``, each with its share active 1…weeks-1 weeks later."""
    end = week_start(last_week)
    keys = [week_key(end - timedelta(days=7 * n)) for n in range(weeks - 1, -1, -1)]
    rows = session.execute(select(InsightsCohort.cohort, InsightsCohort.week, InsightsCohort.readers).where(
        InsightsCohort.cohort >= keys[0], InsightsCohort.cohort <= keys[-1])).all()
    cells = {(c, w): n for c, w, n in rows}
    result = []
    for index, cohort in enumerate(keys):
        later = []
        for offset in range(1, weeks):
            if index + offset >= len(keys):
                later.append(None)
            else:
                later.append(cells.get((cohort, keys[index + offset]), 0))
        result.append(Cohort(cohort, cells.get((cohort, cohort), 0), later))
    return result


@dataclass(frozen=True)
class TermRetention:
    """Readers of the term before, how many came back this term, and the lapsed per faculty."""

    term: str
    previous: str | None
    previous_readers: int
    retained: int
    lapsed_by_faculty: list[tuple[str, int, int]]  # (faculty, active before, lapsed)

    @property
    def share(self) -> float | None:
        return self.retained / self.previous_readers if self.previous_readers else None

    @property
    def lapsed(self) -> int:
        return self.previous_readers - self.retained


def term_retention(session: Session, calendar: Calendar, *, term: str) -> TermRetention:
    previous = previous_term_key(calendar, term)
    if previous is None:
        return TermRetention(term, None, 0, 0, [])
    table = InsightsActive
    before = dict(session.execute(select(table.faculty, table.readers).where(
        table.period == "term", table.period_key == previous, table.plugin == ANY)).all())
    now = dict(session.execute(select(table.faculty, table.retained).where(
        table.period == "term", table.period_key == term, table.plugin == ANY)).all())
    lapsed = sorted(((fac, n, n - now.get(fac, 0)) for fac, n in before.items() if fac != ANY),
                    key=lambda row: (-row[2], row[0]))
    return TermRetention(term, previous, before.get(ANY, 0), now.get(ANY, 0), lapsed)
