"""Segments: who matches each filter, the live size, and a message sent to a segment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.mail.kinds import choose
from core.mail.models import MailOutbox
from core.models import Notification, Role, utcnow
from core.terms import current_calendar

from plugins.insights import segments
from plugins.insights.models import InsightsMessage
from plugins.insights.rollups import note_activity


@pytest.fixture
def readers(app, db, make_user):
    """Ann (Arts) active today in brand stories; Bo (Arts) active last term only; Cy and Dan
    (Science) never active, Cy wanting no email at all; Eve (Arts) wants messages by email at once."""
    people = {"ann": make_user(cohort="Arts"), "bo": make_user(cohort="Arts"), "cy": make_user(cohort="Science"),
              "dan": make_user(cohort="Science"), "eve": make_user(cohort="Arts")}
    ids = {name: user.id for name, user in people.items()}
    with app.test_request_context():
        calendar = current_calendar()
        today = calendar.local_date(utcnow())
        last_term = calendar.term_of(today).starts_on - timedelta(days=30)
        with db.write_session() as session:
            note_activity(session, user_id=ids["ann"], plugin="brand_stories", kind="vote")
            note_activity(session, user_id=ids["bo"], at=utcnow() - timedelta(days=(today - last_term).days))
            choose(session, user_id=ids["cy"], kind="*", cadence="never")
            choose(session, user_id=ids["eve"], kind=segments.MAIL_KIND, cadence="immediate")
    return ids


def matching(app, db, **filters) -> int:
    with app.test_request_context(), db.session() as session:
        calendar = current_calendar()
        segment = segments.Segment(**filters)
        today = calendar.local_date(utcnow())
        return set(segments.members(session, segment, calendar, today)), segments.size(session, segment, calendar, today)


@pytest.mark.parametrize("filters, expected", [
    ({}, {"ann", "bo", "cy", "dan", "eve"}),
    ({"faculty": "Science"}, {"cy", "dan"}),
    ({"activity": "active"}, {"ann"}),
    ({"activity": "lapsed"}, {"bo"}),
    ({"activity": "never"}, {"cy", "dan", "eve"}),
    ({"plugin": "brand_stories"}, {"ann"}),
    ({"plugin": "feedback"}, set()),
    ({"seen_within": 2}, {"ann"}),
    ({"not_seen_for": 20}, {"bo"}),
    ({"email": "yes"}, {"ann", "bo", "dan", "eve"}),
    ({"faculty": "Arts", "activity": "never"}, {"eve"}),
])
def test_each_filter_selects_whom_it_says(app, db, readers, filters, expected):
    ids, size = matching(app, db, **filters)
    assert ids == {readers[name] for name in expected} and size == len(expected)


def test_a_level_filter_reads_the_points_totals(app, db, readers):
    from core.levels import current_levels
    from core.points import award

    with app.test_request_context():
        second = next(level for level in current_levels() if level.threshold > 0)
        with app.test_request_context(), db.write_session() as session:
            award(session, user_id=readers["dan"], amount=second.threshold, rule="visit", plugin="core",
                  idempotency_key="lvl")
        ids, size = matching(app, db, min_level=second.number)
    assert ids == {readers["dan"]} and size == 1


@pytest.fixture
def staff_client(app, make_user):
    librarian = make_user(Role.librarian)
    client = app.test_client()
    client.post("/auth/login", data={"email": librarian.email, "password": "correct horse battery"})
    return client


def test_the_page_and_its_live_size(staff_client, readers):
    page = staff_client.get("/insights/segments?faculty=Arts")
    assert page.status_code == 200 and "3 readers" in page.get_data(as_text=True)
    fragment = staff_client.get("/insights/segments/size?faculty=Science&activity=active", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    text = fragment.get_data(as_text=True)
    assert "No reader matches these filters." in text and "<html" not in text
    assert staff_client.get("/insights/segments?seen_within=-4").status_code == 400
    assert staff_client.get("/insights/segments", headers={"Accept-Language": "zh-CN"}).status_code == 200


def test_a_message_reaches_the_segment_in_app_and_by_email_where_wanted(app, db, staff_client, readers):
    answer = staff_client.post("/insights/segments/send?faculty=Arts",
                               data={"text": "The reading room opens late this week.", "link": "/boards/"})
    assert answer.status_code == 302
    with db.session() as session:
        notes = session.execute(select(Notification.user_id, Notification.url).where(
            Notification.plugin == "insights")).all()
        assert {user for user, _url in notes} == {readers["ann"], readers["bo"], readers["eve"]}
        assert all(url == "/boards/?src=message.insights:message:1" for _user, url in notes)
        message = session.execute(select(InsightsMessage)).scalar_one()
        assert (message.recipients, message.sent, message.finished_at is not None) == (3, 3, True)
        emailed = session.execute(select(MailOutbox.user_id).where(MailOutbox.kind == segments.MAIL_KIND)).scalars().all()
        assert emailed == [readers["eve"]]  # the others get it in their daily digest, as they chose


@pytest.mark.parametrize("query, data, message", [
    ("faculty=Science&activity=active", {"text": "Hello"}, "This segment matches nobody"),
    ("faculty=Arts", {"text": ""}, "This field is required."),
    ("faculty=Arts", {"text": "Hi", "link": "https://elsewhere.example/"}, "Give a path on this site"),
])
def test_a_message_that_cannot_go_changes_nothing(db, staff_client, readers, query, data, message):
    answer = staff_client.post(f"/insights/segments/send?{query}", data=data)
    assert answer.status_code == 400 and message in answer.get_data(as_text=True)
    with db.session() as session:
        assert session.execute(select(InsightsMessage)).first() is None
        assert session.execute(select(Notification).where(Notification.plugin == "insights")).first() is None
