"""The points-over-time chart on "My points": a running total per week, as an image the CSP allows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from core.models import PointEntry, User, utcnow
from core.points import award
from core.points_chart import weekly_totals


def test_weekly_totals_run_from_the_first_week_and_count_older_points_once(app, make_user, db):
    user = make_user()
    now = utcnow()
    with app.app_context(), db.write_session() as session:
        session.execute(update(User).where(User.id == user.id).values(created_at=now - timedelta(weeks=30)))
        for key, amount, ago in (("old", 7, 20), ("mid", 5, 3), ("new", 2, 0)):
            award(session, user_id=user.id, amount=amount, rule="read", plugin="core", idempotency_key=key)
            session.execute(update(PointEntry).where(PointEntry.idempotency_key == key)
                            .values(created_at=now - timedelta(weeks=ago)))
    with app.app_context(), db.session() as session:
        weeks = weekly_totals(session, user.id, since=now - timedelta(weeks=30), now=now)
    assert len(weeks) == 12 and all(b - a == timedelta(weeks=1) for (a, _x), (b, _y) in zip(weeks, weeks[1:]))
    totals = [total for _monday, total in weeks]
    assert totals[0] == 7 and totals[-1] == 14 and totals == sorted(totals)  # the 20-week-old points start the line
    assert totals[-4] == 12  # three weeks ago the 5 arrived


def test_a_new_account_starts_its_line_when_it_began(app, make_user, db):
    user = make_user()
    with app.app_context(), db.session() as session:
        weeks = weekly_totals(session, user.id, since=utcnow())
    assert [total for _monday, total in weeks] == [0]


def test_my_points_shows_the_chart_in_both_languages(app, client, auth, make_user, db):
    user = make_user(email="chart@test.library")
    with app.app_context(), db.write_session() as session:
        session.execute(update(User).where(User.id == user.id).values(created_at=utcnow() - timedelta(weeks=5)))
        award(session, user_id=user.id, amount=9, rule="read", plugin="core", idempotency_key="chart:1")
    auth.login(user.email)
    page = client.get("/me").get_data(as_text=True)
    assert "Points over time" in page and 'class="chart points-chart" src="data:image/svg+xml' in page
    assert "Your points week by week: 0 at the start, 9 now." in page
    assert "<script" not in page.split('class="chart points-chart"')[1].split(">")[0]
    client.post("/language", data={"locale": "zh_Hans"})
    zh = client.get("/me").get_data(as_text=True)
    assert "积分变化" in zh and "你每周的积分：起初 0，现在 9。" in zh


def test_a_brand_new_account_has_no_chart_yet(client, auth, make_user):
    auth.login(make_user().email)
    assert "points-chart" not in client.get("/me").get_data(as_text=True)
