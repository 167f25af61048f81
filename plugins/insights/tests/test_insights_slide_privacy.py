"""The lobby slide of the library's own numbers (its QR code tagged), and readers' rights."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from core.models import Role
from core.terms import current_calendar

from plugins.insights import campaigns, privacy
from plugins.insights.models import InsightsActive, InsightsReader, InsightsTouch
from plugins.insights.rollups import note_activity


def test_the_lobby_slide_shows_the_numbers_and_its_scans_count(app, db, make_user):
    readers = [make_user(), make_user()]
    with app.test_request_context():
        with db.write_session() as session:
            for reader in readers:
                note_activity(session, user_id=reader.id, plugin="contributions", kind="approved")
    librarian = make_user(Role.librarian)
    client = app.test_client()
    client.post("/auth/login", data={"email": librarian.email, "password": "correct horse battery"})
    assert "plugin:insights:our-numbers" in client.get("/screens/new").get_data(as_text=True)
    answer = client.post("/screens/new", data={"name": "Lobby", "locale": "zh_Hans", "seconds_per_slide": "10",
                                               "slides": ["plugin:insights:our-numbers"]})
    assert answer.status_code == 302
    address = re.search(r'value="http://localhost(/screen/[^"]+)"', client.get("/screens/").get_data(as_text=True))
    slide = app.test_client().get(address.group(1) + "/slide?n=0", headers={"HX-Request": "true"})
    body = slide.get_data(as_text=True)
    assert slide.status_code == 200 and "本周读者" in body and "<svg" in body
    assert re.search(r'<p><strong class="tv-label">本周读者</strong><span class="tv-big">2</span>', body)
    # A phone scanning the code lands on the home page with the slide's tag, counted as a scan.
    app.test_client().get("/?src=screen.insights:our-numbers")
    with app.test_request_context(), db.session() as session:
        today = current_calendar().local_date(__import__("core.models").models.utcnow())
        [reach] = campaigns.reach(session, start=today, end=today)
    assert (reach.tag, reach.scans, reach.visitors) == ("insights:our-numbers", 1, 1)


def test_a_readers_data_exports_and_is_forgotten_while_the_counts_stay(app, db, make_user):
    reader, other = make_user(cohort="Arts"), make_user(cohort="Arts")
    with app.test_request_context():
        with db.write_session() as session:
            note_activity(session, user_id=reader.id, plugin="brand_stories", kind="vote")
            note_activity(session, user_id=other.id)
        with db.session() as session:
            data = privacy.user_data(session, reader.id)
        assert set(data) == {"insights_reader", "insights_active_periods", "insights_activities",
                             "insights_messages_sent"}
        assert len(data["insights_reader"]) == 1
        assert {row["period"] for row in data["insights_active_periods"]} >= {"day", "week", "month", "term"}
        assert data["insights_activities"][0]["activity"] == "vote"
        with db.write_session() as session:
            privacy.forget_user(session, reader.id)
        with db.session() as session:
            assert privacy.user_data(session, reader.id) == {"insights_reader": [], "insights_active_periods": [],
                                                             "insights_activities": [], "insights_messages_sent": []}
            assert session.get(InsightsReader, other.id) is not None
            assert session.execute(select(func.count()).select_from(InsightsTouch)
                                   .where(InsightsTouch.user_id == other.id)).scalar_one() > 0
            week = session.execute(select(InsightsActive.readers).where(
                InsightsActive.period == "week", InsightsActive.plugin == "", InsightsActive.faculty == "")).scalar_one()
            assert week == 2  # counts name nobody and stay
