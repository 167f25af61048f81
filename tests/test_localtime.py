"""Library time on forms, UTC in the tables (core.localtime): a partial or unchanged save keeps
every stored instant exactly, and a typed time is read in the library's zone."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from core.localtime import HasValue, LocalDateTimeField, to_local, to_utc

STORED = datetime(2026, 3, 1, 2, 30, 17, 123456, tzinfo=timezone.utc)  # 10:30:17 in Shanghai


class Row:
    publish_at = STORED


class WhenForm(FlaskForm):
    class Meta:
        csrf = False

    publish_at = LocalDateTimeField("When", validators=[HasValue()])


def form(app, data: dict | None, obj=None):
    with app.test_request_context("/", method="POST", data=data or {}):
        made = WhenForm(formdata=MultiDict(data or {}), obj=obj)
        return made, made.validate()


def test_round_trip_between_library_time_and_utc(app):
    with app.app_context():
        assert to_utc(datetime(2026, 3, 1, 10, 30)) == datetime(2026, 3, 1, 2, 30, tzinfo=timezone.utc)
        assert to_local(datetime(2026, 3, 1, 2, 30, tzinfo=timezone.utc)) == datetime(2026, 3, 1, 10, 30)
        # An instant is never re-read as local time: converting twice changes nothing.
        assert to_utc(to_utc(datetime(2026, 3, 1, 10, 30))) == datetime(2026, 3, 1, 2, 30, tzinfo=timezone.utc)
        assert to_local(datetime(2026, 3, 1, 2, 30)) == datetime(2026, 3, 1, 10, 30)  # naive means UTC


def test_a_missing_field_keeps_the_stored_instant_exactly(app):
    made, valid = form(app, {}, Row())
    assert valid and made.publish_at.data == STORED and made.publish_at.data.tzinfo is not None


def test_a_field_sent_back_as_shown_keeps_the_stored_instant_exactly(app):
    with app.test_request_context("/"):
        shown = WhenForm(obj=Row()).publish_at._value()
    assert shown == "2026-03-01T10:30"
    made, valid = form(app, {"publish_at": shown}, Row())
    assert valid and made.publish_at.data == STORED  # seconds and microseconds kept


def test_a_changed_value_is_read_in_library_time(app):
    made, valid = form(app, {"publish_at": "2026-03-02T09:15"}, Row())
    assert valid and made.publish_at.data == datetime(2026, 3, 2, 1, 15, tzinfo=timezone.utc)


@pytest.mark.parametrize("value", ["", "tomorrow", "2026-13-01T10:00"])
def test_a_bad_or_empty_value_is_refused(app, value):
    made, valid = form(app, {"publish_at": value}, Row())
    assert not valid and made.publish_at.errors


def test_a_new_row_needs_a_value(app):
    made, valid = form(app, {}, None)
    assert not valid and made.publish_at.errors


def test_instants_bound_in_bulk_keep_each_rows_own_value(app, make_user):
    """The UTC column remembers the last instant it converted (a bulk insert binds one "now" in
    every row): rows with the same instant, another one, or an equal but distinct object each
    store their own value, in the library's zone or in UTC."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from sqlalchemy import insert, select

    from core.models import ActivityEntry

    user = make_user()
    other = STORED + timedelta(microseconds=1)
    times = [STORED, STORED, other, STORED.astimezone(ZoneInfo("Asia/Shanghai")), other, STORED.replace()]
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        session.execute(insert(ActivityEntry.__table__), [
            {"user_id": user.id, "plugin": "t", "kind": "k", "source_ref": str(n), "created_at": at}
            for n, at in enumerate(times)])
        stored = session.execute(select(ActivityEntry.source_ref, ActivityEntry.created_at)
                                 .where(ActivityEntry.plugin == "t")).all()
    assert sorted(stored) == [(str(n), at.astimezone(timezone.utc)) for n, at in enumerate(times)]
