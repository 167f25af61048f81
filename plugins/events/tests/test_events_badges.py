"""Events attended, offered to the badges librarians make (hook ``engage_badge_criteria``)."""

from __future__ import annotations

from datetime import timedelta

from core.badge_criteria import CriterionScope
from core.models import BadgeAward, utcnow
from plugins.badgemaker import service
from plugins.badgemaker.rules import Need, Spec, criteria
from plugins.events import checkin, codes

from .conftest import rows, running_event


def test_a_made_badge_for_attending_is_earned_at_the_check_in(app, people):
    with app.test_request_context("/"), app.extensions["engage.db"].write_session() as session:
        assert "events:attended" in criteria()
        badge = service.make(session, name_en="Regular", name_zh="常客", how_en="Attend an event.", how_zh="参加一次活动。",
                             spec=Spec((Need("events:attended", "", 1),)), actor_id=None)
    event = running_event(app, points=5)
    ann, client = people["ann"]
    with app.test_request_context("/"):
        path = f"/events/check-in/{event.id}/{codes.checkin_code(event.id)}"
    assert client.post(path).status_code == 200
    assert [a.user_id for a in rows(app, BadgeAward, BadgeAward.badge_key == badge.key)] == [ann.id]


def test_attendance_counts_within_a_term_and_hours(app, people):
    event = running_event(app)
    ann, client = people["ann"]
    with app.test_request_context("/"):
        client.post(f"/events/check-in/{event.id}/{codes.checkin_code(event.id)}")
    now = utcnow()
    with app.app_context(), app.extensions["engage.db"].session() as session:
        assert checkin.attended_counts(session, scope=CriterionScope()) == {ann.id: 1}
        assert checkin.attended_counts(session, scope=CriterionScope(), user_id=ann.id) == {ann.id: 1}
        assert checkin.attended_counts(session, scope=CriterionScope(since=now + timedelta(minutes=1))) == {}
        minute = now.hour * 60 + now.minute
        outside = ((minute + 60) % 1440, (minute + 120) % 1440)
        assert checkin.attended_counts(session, scope=CriterionScope(hours=outside)) == {}
