"""The dashboard page, its CSV downloads, bad input, campaign counting and satisfaction."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from flask import session as cookie
from sqlalchemy import func, select

from core.models import Role, utcnow
from core.terms import current_calendar

from plugins.insights import campaigns, extra_panels
from plugins.insights.models import InsightsCampaign, InsightsCampaignDay, InsightsSalt, InsightsVisitor
from core.source_tags import read_tag, tagged_url


@pytest.fixture
def librarian(make_user):
    return make_user(Role.librarian)


@pytest.fixture
def staff_client(app, librarian):
    client = app.test_client()
    client.post("/auth/login", data={"email": librarian.email, "password": "correct horse battery"})
    return client


def test_readers_may_not_see_the_dashboard(client, auth, make_user):
    reader = make_user()
    auth.login(reader.email)
    assert client.get("/insights/").status_code == 403


def test_an_empty_library_gets_a_kind_dashboard(staff_client):
    page = staff_client.get("/insights/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "No reader took part in these dates yet" in text
    assert "No visits through shared links" in text


def test_the_dashboard_in_chinese(staff_client):
    page = staff_client.get("/insights/", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200


@pytest.mark.parametrize("query, message", [
    ("period=week&start=2026-11-30&end=2026-11-01", "The last day comes before the first"),
    ("period=day&start=2020-01-01&end=2026-11-01", "That range is too long"),
    ("period=year", "Not a valid choice"),
    ("period=week&start=99999-01-01", "Not a valid date"),
])
def test_reversed_or_absurd_ranges_are_refused_with_a_message(staff_client, query, message):
    page = staff_client.get(f"/insights/?{query}")
    assert page.status_code == 400
    assert message in page.get_data(as_text=True)
    assert staff_client.get(f"/insights/active.csv?{query}").status_code == 400


def test_every_panel_downloads_as_csv(app, db, staff_client, make_user):
    from core.points import award

    reader = make_user(cohort="Arts")
    with app.test_request_context(), db.write_session() as session:
        award(session, user_id=reader.id, amount=5, rule="visit", plugin="core", idempotency_key="v1")
    today = current_calendar_today(app)
    body = staff_client.get(f"/insights/active.csv?period=day&start={today}&end={today}").get_data(as_text=True)
    assert body.lstrip("\ufeff").splitlines() == ["Period,Active readers,New,Returning", f"{today},1,1,0"]
    for panel in ("funnel", "cohorts", "faculties", "lapsed", "plugins", "activities", "campaigns", "satisfaction"):
        assert staff_client.get(f"/insights/{panel}.csv").status_code == 200, panel
    assert staff_client.get("/insights/nothing.csv").status_code == 404
    page = staff_client.get("/insights/").get_data(as_text=True)
    assert "<img" in page and "Table of these figures" in page


def current_calendar_today(app) -> date:
    with app.test_request_context():
        return current_calendar().local_date(utcnow())


def test_source_tags_round_trip_and_refuse_strangers():
    url = tagged_url("https://lib.example/brand/polls/3?x=1&src=old", campaign="brand_stories:poll:3", medium="qr")
    assert url == "https://lib.example/brand/polls/3?x=1&src=qr.brand_stories:poll:3"
    assert read_tag("qr.brand_stories:poll:3").campaign == "brand_stories:poll:3"
    for bad in ("", "qr", "fax.brand:1", "qr.Brand", "qr." + "a" * 130, "qr.a:<script>"):
        assert read_tag(bad) is None
    with pytest.raises(ValueError):
        tagged_url("/", campaign="no spaces", medium="qr")


def _reach(app, db):
    with app.test_request_context(), db.session() as session:
        today = current_calendar().local_date(utcnow())
        return campaigns.reach(session, start=today, end=today)


def test_views_scans_and_unique_visitors_without_cookies_for_anonymous(app, db, client):
    first = client.get("/?src=qr.brand_stories:poll:3", headers={"User-Agent": "phone A"})
    assert first.status_code == 200
    with client.session_transaction() as saved:  # the page's own CSRF cookie, nothing of ours
        assert campaigns.SESSION_KEY not in saved
    client.get("/?src=qr.brand_stories:poll:3", headers={"User-Agent": "phone A"})
    client.get("/?src=qr.brand_stories:poll:3", headers={"User-Agent": "phone B"})
    client.get("/?src=share.brand_stories:poll:3", headers={"User-Agent": "phone A"})
    client.get("/?src=nonsense", headers={"User-Agent": "phone A"})
    client.get("/?src=qr.contributions:challenge:1", headers={"User-Agent": "phone A"})
    [poll, challenge] = _reach(app, db)
    assert (poll.tag, poll.views, poll.scans, poll.visitors, poll.conversions) == ("brand_stories:poll:3", 4, 3, 2, 0)  # phone A once, by QR or link
    assert (challenge.views, challenge.visitors) == (1, 1)
    with db.session() as session:
        assert session.execute(select(func.count()).select_from(InsightsCampaign)).scalar_one() == 2


def test_the_salt_and_the_hashes_are_thrown_away_with_their_day(app, db):
    tag = read_tag("qr.brand_stories:poll:3")
    with app.test_request_context():
        with db.write_session() as session:
            campaigns.count_visit(session, tag=tag, day=date(2026, 11, 1), address="10.0.0.1", agent="A")
        with db.write_session() as session:
            salt_one = session.execute(select(InsightsSalt.salt)).scalar_one()
            campaigns.count_visit(session, tag=tag, day=date(2026, 11, 2), address="10.0.0.1", agent="A")
        with db.session() as session:
            assert session.execute(select(InsightsSalt.day)).scalars().all() == [date(2026, 11, 2)]
            assert session.execute(select(InsightsSalt.salt)).scalar_one() != salt_one
            assert session.execute(select(InsightsVisitor.day)).scalars().all() == [date(2026, 11, 2)]
            days = session.execute(select(InsightsCampaignDay.day, InsightsCampaignDay.visitors)
                                   .order_by(InsightsCampaignDay.day)).all()
            assert days == [(date(2026, 11, 1), 1), (date(2026, 11, 2), 1)]  # the counts stay


def test_a_signed_in_reader_brought_by_a_campaign_converts(app, db, client, auth, make_user):
    from core.activity import record_activity

    reader = make_user()
    auth.login(reader.email)
    client.get("/?src=share.brand_stories:poll:3")
    with client.session_transaction() as saved:
        carried = saved[campaigns.SESSION_KEY]
    with app.test_request_context():
        cookie[campaigns.SESSION_KEY] = carried
        with db.write_session() as session:
            record_activity(session, user_id=reader.id, plugin="brand_stories", kind="vote", source_ref="poll:3")
    assert [(poll.views, poll.conversions) for poll in _reach(app, db)] == [(1, 0)]  # counted by the job
    app.extensions["engage.jobs"].run_periodic("insights:fold")
    [poll] = _reach(app, db)
    assert (poll.views, poll.conversions) == (1, 1)


def test_satisfaction_comes_from_the_feedback_plugin_through_the_hook(app, db, make_user, librarian):
    from plugins.feedback.models import FeedbackCategory, FeedbackItem

    reader = make_user()
    now = datetime(2026, 11, 10, 4, tzinfo=timezone.utc)
    with app.test_request_context():
        with db.write_session() as session:
            category = FeedbackCategory(key="noise", name_en="Noise", name_zh="噪音")
            session.add(category)
            session.flush()
            for rating, published in ((5, True), (4, False), (2, False), (None, True)):
                session.add(FeedbackItem(submitter_id=reader.id, category_id=category.id, text="Too loud",
                                         state="confirmed", responder_id=librarian.id, rating=rating,
                                         rated_at=now if rating else None, responded_at=now, published=published,
                                         created_at=now - timedelta(days=1)))
            session.add(FeedbackItem(submitter_id=reader.id, category_id=category.id, text="Old", rating=1,
                                     rated_at=now - timedelta(days=200), state="confirmed"))
        with db.session() as session:
            calendar = current_calendar()
            [measure] = extra_panels.satisfaction(session, calendar, start=date(2026, 11, 1), end=date(2026, 11, 30))
            assert (measure.plugin, measure.ratings, measure.answered, measure.changes) == ("feedback", {5: 1, 4: 1, 2: 1}, 4, 2)
            assert measure.csat == pytest.approx(2 / 3)
            panel = extra_panels.satisfaction_panel(session, calendar, today=date(2026, 11, 30))
            assert panel.rows[-1] == ["Autumn 2026", "67 %", 3, 4, 2]
