"""The rollups: who was active when, in which plugin and activity.

Awards and recorded activities append rows to ``insights_pending`` in their own transaction
(``queue_awards``, ``queue_events``) and touch nothing shared: library-wide counters locked
inside every award would serialise the awards and, on PostgreSQL, deadlock with payers that lock
readers' rows in their own order. ``fold_pending`` counts the pending events into the rollups and
deletes them: the periodic job ``insights:fold`` does it every minute, and the dashboard's pages
do it before they read, so a librarian always sees every event.

Counting one event (``note_activity``) costs one ignored insert once its reader has been counted
that day (``insights_touch`` for the day); only a reader's first event of a day (or of a plugin
on that day) writes the week, month and term sets and their counters. Statements are compiled
once per database and run on the session's own cursor (``core.ledger_sql``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import bindparam, delete, literal_column, select, text, update
from sqlmodel import Session

from core.ledger_sql import compiled, cursor, insert_rows, select_in
from core.models import Role, User, utcnow
from core.periods import Calendar, default_term
from core.terms import current_calendar

from .models import (InsightsActive, InsightsCohort, InsightsCounter, InsightsKind, InsightsKindReader,
                     InsightsPending, InsightsReader, InsightsTouch)

ANY = ""  # plugin and faculty of the overall counts
COARSE = ("week", "month", "term")


def week_key(day: date) -> str:
    """The ISO week of ``day`` as the ledger keys it (``2026-W48``)."""
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def week_start(key: str) -> date:
    """The Monday of an ISO week key."""
    year, week = key.split("-W")
    return date.fromisocalendar(int(year), int(week), 1)


def period_keys(calendar: Calendar, day: date) -> dict[str, str]:
    """The day, week, month and term (when in one) keys of a local day."""
    keys = {"day": day.isoformat(), "week": week_key(day), "month": f"{day.year}-{day.month:02d}"}
    term = calendar.term_of(day)
    if term is not None:
        keys["term"] = term.key
    return keys


def previous_term_key(calendar: Calendar, term_key: str) -> str | None:
    """The key of the term before ``term_key`` (configured terms, else the default rule)."""
    if calendar.terms:
        keys = [t.key for t in calendar.terms]
        index = keys.index(term_key) if term_key in keys else 0
        return keys[index - 1] if index > 0 else None
    year, season = term_key.split("-")
    start = date(int(year), 9, 1) if season == "autumn" else date(int(year), 2, 1)
    return default_term(start - timedelta(days=1)).key


# --- statements (functions of the dialect's insert; compiled once per database) --------------

def _touch(insert):
    return insert(InsightsTouch.__table__).values(
        period=bindparam("period"), period_key=bindparam("key"), plugin=bindparam("plugin"),
        user_id=bindparam("user_id")).on_conflict_do_nothing()


def _active(insert):
    table = InsightsActive.__table__
    stmt = insert(table).values(period=bindparam("period"), period_key=bindparam("key"), plugin=bindparam("plugin"),
                                faculty=bindparam("faculty"), readers=literal_column("1"),
                                new_readers=bindparam("new"), retained=bindparam("retained"))
    return stmt.on_conflict_do_update(index_elements=["period", "period_key", "plugin", "faculty"], set_={
        "readers": table.c.readers + literal_column("1"), "new_readers": table.c.new_readers + stmt.excluded.new_readers,
        "retained": table.c.retained + stmt.excluded.retained})


def _reader(insert):
    table = InsightsReader.__table__
    stmt = insert(table).values(user_id=bindparam("user_id"), first_day=bindparam("day"),
                                first_week=bindparam("week"), last_day=bindparam("day"))
    return stmt.on_conflict_do_update(index_elements=["user_id"], set_={"last_day": stmt.excluded.last_day}).returning(
        table.c.first_day, table.c.first_week, table.c.returned_day)


def _returned(_insert):
    table = InsightsReader.__table__
    return update(table).where(table.c.user_id == bindparam("user_id"), table.c.returned_day.is_(None)).values(
        returned_day=bindparam("day"))


def _cohort(insert):
    table = InsightsCohort.__table__
    stmt = insert(table).values(cohort=bindparam("cohort"), week=bindparam("week"), readers=literal_column("1"))
    return stmt.on_conflict_do_update(index_elements=["cohort", "week"], set_={"readers": table.c.readers + literal_column("1")})


def _counter(insert):
    table = InsightsCounter.__table__
    stmt = insert(table).values(name=bindparam("name"), value=literal_column("1"))
    return stmt.on_conflict_do_update(index_elements=["name"], set_={"value": table.c.value + literal_column("1")})


def _kind_reader(insert):
    return insert(InsightsKindReader.__table__).values(
        term=bindparam("term"), plugin=bindparam("plugin"), kind=bindparam("kind"),
        user_id=bindparam("user_id")).on_conflict_do_nothing()


def _kind(insert):
    table = InsightsKind.__table__
    stmt = insert(table).values(term=bindparam("term"), plugin=bindparam("plugin"), kind=bindparam("kind"),
                                readers=bindparam("new"), events=literal_column("1"))
    return stmt.on_conflict_do_update(index_elements=["term", "plugin", "kind"], set_={
        "readers": table.c.readers + stmt.excluded.readers, "events": table.c.events + literal_column("1")})


def _person(_insert):
    users = User.__table__
    return select(users.c.role, users.c.cohort).where(users.c.id == bindparam("user_id"))


def _was_active(_insert):
    touch = InsightsTouch.__table__
    return select(touch.c.user_id).where(touch.c.period == bindparam("period"), touch.c.period_key == bindparam("key"),
                                         touch.c.plugin == literal_column("''"), touch.c.user_id == bindparam("user_id"))


_COMPILED: dict[str, dict[str, str]] = {}


def _statements(session: Session) -> dict[str, str]:
    """Every statement's SQL for the session's database, compiled on first use."""
    dialect = session.get_bind().dialect.name
    found = _COMPILED.get(dialect)
    if found is None:
        found = _COMPILED[dialect] = {name: compiled(session, f"insights.{name}", statement)
                                      for name, statement in STATEMENTS.items()}
    return found


def _sql(session: Session, name: str) -> str:
    return _statements(session)[name]


@lru_cache(maxsize=64)
def _keys(calendar: Calendar, day: date) -> tuple[dict[str, str], str | None]:
    """The period keys of a day and the term before its term (a calendar is re-read once a minute)."""
    keys = period_keys(calendar, day)
    return keys, previous_term_key(calendar, keys["term"]) if "term" in keys else None


STATEMENTS = {"touch": _touch, "active": _active, "reader": _reader, "returned": _returned, "cohort": _cohort,
              "counter": _counter, "kind_reader": _kind_reader, "kind": _kind, "person": _person,
              "was_active": _was_active}


def _bind_day(session: Session, day: date):
    """A date as the driver takes it (SQLite: ISO text, as SQLAlchemy's Date stores it)."""
    return day.isoformat() if session.get_bind().dialect.name == "sqlite" else day


# --- the listeners' work: one append per event ---------------------------------------------

PENDING_COLUMNS = ("user_id", "plugin", "kind", "at", "campaign_id", "medium")


def queue_events(session: Session, events: list[tuple[int, str, str, datetime]],
                 campaign: tuple[int, str] | None = None) -> None:
    """Append activities ``(user_id, plugin, kind, at)`` for ``fold_pending`` to count, in the
    caller's transaction: one insert per 500."""
    campaign_id, medium = campaign if campaign else (None, "")
    insert_rows(session, "insights.pending", InsightsPending.__table__, PENDING_COLUMNS,
                [(user_id, plugin or "", kind or "", at, campaign_id, medium) for user_id, plugin, kind, at in events])


def queue_awards(session: Session, user_ids: set[int], at: datetime | None = None) -> None:
    """Append awards to ``user_ids`` for ``fold_pending`` to count: a reader already counted today
    would count nothing, so one read finds those (per 500) and one executemany queues the others."""
    at = at or utcnow()
    calendar = current_calendar()
    keys, _before = _keys(calendar, calendar.local_date(at))
    touch, ordered, counted = InsightsTouch.__table__.c, sorted(user_ids), set()
    for i in range(0, len(ordered), 500):
        counted.update(user_id for user_id, in select_in(session, "insights.counted_today", lambda: select(
            touch.user_id).where(touch.period == "day", touch.period_key == bindparam("day"), touch.plugin == "",
                                 touch.user_id.in_(bindparam("users", expanding=True))),
            day=keys["day"], users=ordered[i:i + 500]))
    queue_events(session, [(user_id, "", "", at) for user_id in ordered if user_id not in counted])


FOLD_BATCH = 2000
_FOLD_LOCK = 0x1a51_0f01  # PostgreSQL advisory lock: one fold at a time


def fold_pending(session: Session, *, calendar: Calendar | None = None, limit: int = FOLD_BATCH) -> int:
    """Count up to ``limit`` pending events, oldest first, into the rollups and delete them, in the
    caller's (write) transaction; returns how many. One fold runs at a time: on PostgreSQL a second
    one finds the advisory lock taken and returns 0 (SQLite's write transactions are serial)."""
    from .campaigns import count_conversion

    if session.get_bind().dialect.name == "postgresql" and not session.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _FOLD_LOCK}).scalar():
        return 0
    rows = session.execute(select(InsightsPending.id, InsightsPending.user_id, InsightsPending.plugin,
                                  InsightsPending.kind, InsightsPending.at, InsightsPending.campaign_id,
                                  InsightsPending.medium).order_by(InsightsPending.id).limit(limit)).all()
    if not rows:
        return 0
    calendar = calendar or current_calendar()
    for _id, user_id, plugin, kind, at, campaign_id, medium in rows:
        note_activity(session, user_id=user_id, plugin=plugin or None, kind=kind or None, at=at, calendar=calendar)
        if campaign_id is not None:
            count_conversion(session, campaign_id=campaign_id, medium=medium, day=calendar.local_date(at))
    # By id, never by range: on PostgreSQL a lower id may commit after this read.
    ids = [row[0] for row in rows]
    for i in range(0, len(ids), 500):
        session.execute(delete(InsightsPending).where(InsightsPending.id.in_(ids[i:i + 500])))
    return len(rows)


def has_pending(session: Session) -> bool:
    return session.execute(select(InsightsPending.id).limit(1)).first() is not None


def fold_all(db, *, calendar: Calendar | None = None, batches: int | None = None) -> int:
    """Fold pending events, a batch per transaction, until none is left (or after ``batches``
    batches); returns how many."""
    total = done = 0
    while batches is None or done < batches:
        with db.write_session() as session:
            count = fold_pending(session, calendar=calendar)
        total, done = total + count, done + 1
        if count < FOLD_BATCH:
            break
    return total


# --- counting one event ------------------------------------------------------------------

def note_activity(session: Session, *, user_id: int, plugin: str | None = None, kind: str | None = None,
                  at: datetime | None = None, calendar: Calendar | None = None) -> None:
    """Count a reader's event (an award, or an activity of ``plugin``/``kind``) in the rollups.

    Staff are left out: the dashboard is about readers. Runs in the caller's transaction.
    """
    calendar = calendar or current_calendar()
    day = calendar.local_date(at or utcnow())
    keys, before = _keys(calendar, day)
    sql = _statements(session)
    with cursor(session) as handle:
        handle.execute(sql["touch"], {"period": "day", "key": keys["day"], "plugin": ANY, "user_id": user_id})
        first_today = handle.rowcount == 1
        person = None
        if first_today:
            handle.execute(sql["person"], {"user_id": user_id})
            person = handle.fetchone()
            if person is None or person[0] != Role.student.value:
                return  # the day's touch stays as a marker, so staff cost one ignored insert after this
            _first_of_day(session, handle, sql, user_id=user_id, day=day, keys=keys, before=before,
                          faculty=person[1] or "")
        if plugin:
            handle.execute(sql["touch"], {"period": "day", "key": keys["day"], "plugin": plugin, "user_id": user_id})
            new_in_plugin = handle.rowcount == 1
            if not (new_in_plugin or (kind and "term" in keys)):
                return
            if person is None:
                handle.execute(sql["person"], {"user_id": user_id})
                person = handle.fetchone()
            if person is None or person[0] != Role.student.value:
                return
            if new_in_plugin:
                _count_plugin(handle, sql, user_id=user_id, plugin=plugin, keys=keys)
            if kind and "term" in keys:
                handle.execute(sql["kind_reader"], {"term": keys["term"], "plugin": plugin, "kind": kind,
                                                    "user_id": user_id})
                handle.execute(sql["kind"], {"term": keys["term"], "plugin": plugin, "kind": kind,
                                             "new": handle.rowcount})


def _first_of_day(session, handle, sql, *, user_id, day, keys, before, faculty) -> None:
    """A reader's first event of a day: the reader's row, and each period that is new for them."""
    handle.execute(sql["reader"], {"user_id": user_id, "day": _bind_day(session, day), "week": keys["week"]})
    first_day, first_week, returned_day = handle.fetchone()
    new_reader = str(first_day) == keys["day"]
    if new_reader:
        handle.execute(sql["counter"], {"name": "activated"})
    faculties = (ANY, faculty) if faculty else (ANY,)
    for period in ("day",) + COARSE:
        key = keys.get(period)
        if key is None:
            continue
        if period != "day":
            handle.execute(sql["touch"], {"period": period, "key": key, "plugin": ANY, "user_id": user_id})
            if handle.rowcount != 1:
                continue  # already counted in this period
        retained = 0
        if period == "term" and before:
            handle.execute(sql["was_active"], {"period": "term", "key": before, "user_id": user_id})
            retained = int(handle.fetchone() is not None)
        handle.executemany(sql["active"], [{"period": period, "key": key, "plugin": ANY, "faculty": fac,
                                            "new": int(new_reader), "retained": retained} for fac in faculties])
        if period == "week":
            handle.execute(sql["cohort"], {"cohort": first_week, "week": key})
            if key != first_week and returned_day is None:
                handle.execute(sql["returned"], {"user_id": user_id, "day": _bind_day(session, day)})
                handle.execute(sql["counter"], {"name": "returned"})


def _count_plugin(handle, sql, *, user_id, plugin, keys) -> None:
    """A reader's first event of a day in ``plugin``: each period new for them in that plugin."""
    for period in ("day",) + COARSE:
        key = keys.get(period)
        if key is None:
            continue
        if period != "day":
            handle.execute(sql["touch"], {"period": period, "key": key, "plugin": plugin, "user_id": user_id})
            if handle.rowcount != 1:
                continue
        handle.execute(sql["active"], {"period": period, "key": key, "plugin": plugin, "faculty": ANY, "new": 0,
                                       "retained": 0})
