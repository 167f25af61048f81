"""The hot path's own SQL helpers (``core.ledger_sql``), on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from core.ledger_sql import insert_rows, select_in
from core.models import ActivityEntry, User

AT = datetime(2026, 3, 1, 14, 30, 5, 123456, tzinfo=timezone.utc)
COLUMNS = ("created_at", "source_ref", "user_id", "kind", "plugin")  # not the table's order


def _insert(session, rows, **kwargs):
    table = ActivityEntry.__table__
    return insert_rows(session, "tests.activities", table, COLUMNS, rows, finish=lambda insert: (
        insert.on_conflict_do_nothing(index_elements=["plugin", "kind", "source_ref", "user_id"])
        .returning(table.c.source_ref, table.c.created_at)), **kwargs)


def test_insert_rows_binds_each_value_to_its_column_and_returns_what_was_inserted(app, make_user):
    """Values given in another order than the table's land in their own columns; instants in any
    zone are stored as UTC; rows already there are skipped by the conflict clause; chunks of two
    make three statements; the returned instants are read back as aware UTC datetimes."""
    user = make_user()
    times = [AT, AT + timedelta(hours=1), AT.astimezone(ZoneInfo("Asia/Shanghai")), AT, AT + timedelta(days=3)]
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        first = _insert(session, [(at, f"ref-{n}", user.id, "k", "t") for n, at in enumerate(times[:2])])
        returned = _insert(session, [(at, f"ref-{n}", user.id, "k", "t") for n, at in enumerate(times)], chunk=2)
        stored = session.execute(select(ActivityEntry.source_ref, ActivityEntry.created_at, ActivityEntry.plugin,
                                        ActivityEntry.kind, ActivityEntry.user_id)
                                 .where(ActivityEntry.plugin == "t")).all()
    assert sorted(first) == [("ref-0", AT), ("ref-1", AT + timedelta(hours=1))]
    assert sorted(returned) == [(f"ref-{n}", times[n].astimezone(timezone.utc)) for n in (2, 3, 4)]
    assert all(at.tzinfo is not None for _ref, at in returned)
    assert sorted(stored) == [(f"ref-{n}", at.astimezone(timezone.utc), "t", "k", user.id)
                              for n, at in enumerate(times)]


def test_insert_rows_raises_the_databases_error_as_sqlalchemys_and_keeps_nothing(app, make_user):
    """A row the database refuses (no such user) raises ``IntegrityError`` on both databases, as
    ``session.execute`` would, and the transaction it was in keeps none of the rows."""
    user = make_user()
    db = app.extensions["engage.db"]
    with app.app_context():
        with pytest.raises(IntegrityError), db.write_session() as session:
            _insert(session, [(AT, "fine", user.id, "k", "t"), (AT, "no-such-user", 999_999, "k", "t")])
        with db.session() as session:
            assert session.execute(select(ActivityEntry.id).where(ActivityEntry.plugin == "t")).all() == []


def _recent(session, **params):
    return select_in(session, "tests.recent", lambda: select(
        ActivityEntry.source_ref, ActivityEntry.created_at, User.is_active).join(User).where(
        ActivityEntry.user_id.in_(bindparam("users", expanding=True)), ActivityEntry.plugin == "t",
        ActivityEntry.kind.in_(bindparam("kinds", expanding=True)), ActivityEntry.created_at >= bindparam("since")),
        **params)


def test_select_in_spreads_each_list_binds_each_value_and_reads_each_column(app, make_user):
    """Two lists of different lengths, a value written in the statement and an instant given in
    another zone select the same rows ``session.execute`` would; instants come back as aware UTC
    and booleans as booleans; an empty list is refused before anything runs."""
    one, two, other = make_user(), make_user(), make_user()
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        _insert(session, [(AT + timedelta(hours=n), f"ref-{n}", user.id, kind, plugin) for n, (user, kind, plugin) in
                          enumerate([(one, "k", "t"), (two, "j", "t"), (two, "k", "t"), (other, "k", "t"),
                                     (one, "k", "elsewhere"), (one, "x", "t")])])
        since = (AT + timedelta(minutes=30)).astimezone(ZoneInfo("Asia/Shanghai"))
        rows = _recent(session, users=[one.id, two.id], kinds=["k", "j"], since=since)
        again = _recent(session, users=[two.id], kinds=["k"], since=AT)  # other lengths: the same statement
        expected = session.execute(select(ActivityEntry.source_ref, ActivityEntry.created_at, User.is_active)
                                   .join(User).where(ActivityEntry.user_id.in_([one.id, two.id]),
                                                     ActivityEntry.plugin == "t", ActivityEntry.kind.in_(["k", "j"]),
                                                     ActivityEntry.created_at >= since)).all()
        with pytest.raises(ValueError):
            _recent(session, users=[], kinds=["k"], since=AT)
    assert sorted(rows) == sorted(tuple(row) for row in expected) == [
        ("ref-1", AT + timedelta(hours=1), True), ("ref-2", AT + timedelta(hours=2), True)]
    assert all(at.tzinfo is not None and active is True for _ref, at, active in rows)
    assert again == [("ref-2", AT + timedelta(hours=2), True)]
