"""Every figure of the dashboard against a small library counted by hand.

Readers: Ann and Bo (Arts), Cy and Eve (Science), Dan (no faculty, never active) and a librarian.
Spring 2026 (1 Feb–31 Aug): Ann (feedback, 10 June, ISO week 24), Cy (points, 11 June, W24),
Eve (points, 1 July, W27). Autumn 2026: Ann points and a vote on Mon 2 Nov (W45) and a
submission on 10 Nov (W46); Bo a vote and points on 3 Nov (W45); Cy points on 11 Nov (W46);
the librarian points on 2 Nov (never counted).
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlmodel import select

from core.models import Role
from core.terms import current_calendar

from plugins.insights import panels, queries
from plugins.insights.rollups import note_activity, period_keys, previous_term_key


def at(y, m, d, hour=4):
    return datetime(y, m, d, hour, tzinfo=timezone.utc)  # noon in Shanghai, the same day


@pytest.fixture
def library(app, db, make_user):
    people = {"ann": make_user(cohort="Arts"), "bo": make_user(cohort="Arts"), "cy": make_user(cohort="Science"),
              "eve": make_user(cohort="Science"), "dan": make_user(), "lib": make_user(Role.librarian, cohort="Arts")}
    ids = {name: user.id for name, user in people.items()}
    events = [("ann", "feedback", "confirmed", at(2026, 6, 10)), ("cy", None, None, at(2026, 6, 11)),
              ("eve", None, None, at(2026, 7, 1)),
              ("ann", None, None, at(2026, 11, 2)), ("ann", "brand_stories", "vote", at(2026, 11, 2, 6)),
              ("lib", None, None, at(2026, 11, 2)), ("lib", "brand_stories", "vote", at(2026, 11, 2)),
              ("bo", "brand_stories", "vote", at(2026, 11, 3)), ("bo", None, None, at(2026, 11, 3, 9)),
              ("ann", "contributions", "submit", at(2026, 11, 10)), ("cy", None, None, at(2026, 11, 11)),
              ("cy", None, None, at(2026, 11, 11, 8))]
    with app.test_request_context():
        calendar = current_calendar()
        for name, plugin, kind, moment in events:
            with db.write_session() as session:
                note_activity(session, user_id=ids[name], plugin=plugin, kind=kind, at=moment, calendar=calendar)
    return ids


def read(app, db, fn, **kw):
    with app.test_request_context(), db.session() as session:
        return fn(session, **kw)


def test_period_keys_follow_the_ledger_and_the_default_terms(app):
    with app.test_request_context():
        calendar = current_calendar()
        assert period_keys(calendar, date(2026, 11, 2)) == {"day": "2026-11-02", "week": "2026-W45",
                                                            "month": "2026-11", "term": "2026-autumn"}
        assert previous_term_key(calendar, "2026-autumn") == "2026-spring"
        assert previous_term_key(calendar, "2026-spring") == "2025-autumn"


def test_active_readers_per_day_week_month_and_term(app, db, library):
    days = read(app, db, queries.active_series, period="day", keys=["2026-11-02", "2026-11-03", "2026-11-04"])
    assert [(p.readers, p.new, p.returning) for p in days] == [(1, 0, 1), (1, 1, 0), (0, 0, 0)]
    weeks = read(app, db, queries.active_series, period="week", keys=["2026-W45", "2026-W46"])
    assert [(p.readers, p.new) for p in weeks] == [(2, 1), (2, 0)]
    months = read(app, db, queries.active_series, period="month", keys=["2026-06", "2026-07", "2026-11"])
    assert [(p.readers, p.new) for p in months] == [(2, 2), (1, 1), (3, 1)]
    terms = read(app, db, queries.active_series, period="term", keys=["2026-spring", "2026-autumn"])
    assert [(p.readers, p.new) for p in terms] == [(3, 3), (3, 1)]


def test_active_readers_of_one_plugin(app, db, library):
    weeks = read(app, db, queries.active_series, period="week", keys=["2026-W45", "2026-W46"], plugin="brand_stories")
    assert [p.readers for p in weeks] == [2, 0]
    assert read(app, db, queries.plugin_participation, period="term", key="2026-autumn") == [
        ("brand_stories", 2), ("contributions", 1)]
    assert read(app, db, queries.plugin_participation, period="term", key="2026-spring") == [("feedback", 1)]


def test_participation_per_activity(app, db, library):
    rows = read(app, db, queries.activity_participation, term="2026-autumn")
    assert [(r.plugin, r.kind, r.readers, r.events) for r in rows] == [
        ("brand_stories", "vote", 2, 2), ("contributions", "submit", 1, 1)]


def test_faculty_uptake_against_the_roster(app, db, library):
    rows = read(app, db, queries.faculty_uptake, term="2026-autumn")
    assert [(u.faculty, u.roster, u.active, u.share) for u in rows] == [("Science", 2, 1, 0.5), ("Arts", 2, 2, 1.0)]


def test_funnel_from_registration_to_a_second_week(app, db, library):
    f = read(app, db, queries.funnel)
    assert (f.registered, f.activated, f.returned) == (5, 4, 2)


def test_cohort_triangle(app, db, library):
    rows = read(app, db, queries.cohorts, last_week="2026-W46", weeks=3)
    assert [(c.week, c.size, c.later) for c in rows] == [("2026-W44", 0, [0, 0]), ("2026-W45", 1, [0, None]),
                                                         ("2026-W46", 0, [None, None])]
    wide = read(app, db, queries.cohorts, last_week="2026-W46", weeks=23)
    june = next(c for c in wide if c.week == "2026-W24")
    assert june.size == 2 and june.later[45 - 24 - 1] == 1 and june.later[46 - 24 - 1] == 2
    assert june.share(46 - 24 - 1) == 1.0


def test_term_on_term_retention_and_lapsed_by_faculty(app, db, library):
    with app.test_request_context(), db.session() as session:
        r = queries.term_retention(session, current_calendar(), term="2026-autumn")
    assert (r.previous, r.previous_readers, r.retained, r.lapsed) == ("2026-spring", 3, 2, 1)
    assert r.lapsed_by_faculty == [("Science", 2, 1), ("Arts", 1, 0)]
    assert r.share == pytest.approx(2 / 3)


def test_an_empty_library_says_so_kindly(app, db):
    with app.test_request_context(), db.session() as session:
        calendar = current_calendar()
        panel = panels.reach(session, calendar, period="week", start=date(2026, 11, 1), end=date(2026, 11, 30))
        assert panel.empty and panel.chart is None and all(row[1] == 0 for row in panel.rows)
        assert panels.funnel(session).empty
        assert panels.term_retention(session, calendar, term="2026-autumn").empty


def test_awards_and_activities_reach_the_rollups_through_the_hooks(app, db, make_user):
    from core.activity import record_activity
    from core.points import award

    reader, librarian = make_user(cohort="Arts"), make_user(Role.librarian)
    with app.test_request_context():
        with db.write_session() as session:
            award(session, user_id=reader.id, amount=5, rule="visit", plugin="core", idempotency_key="a1")
            award(session, user_id=librarian.id, amount=5, rule="visit", plugin="core", idempotency_key="a2")
            record_activity(session, user_id=reader.id, plugin="contributions", kind="submit", source_ref="x1")
        with db.write_session() as session:  # a deduction is no activity
            award(session, user_id=reader.id, amount=-2, rule="visit", plugin="core", idempotency_key="a3")
        calendar = current_calendar()
        from core.models import utcnow
        from plugins.insights.models import InsightsPending
        keys = period_keys(calendar, calendar.local_date(utcnow()))
        with db.session() as session:
            # The awards only appended their events; the counting is the job's.
            assert len(session.exec(select(InsightsPending)).all()) == 3
            assert queries.active_series(session, period="day", keys=[keys["day"]])[0].readers == 0
        app.extensions["engage.jobs"].run_periodic("insights:fold")
        with db.session() as session:
            assert session.exec(select(InsightsPending)).all() == []
            [day] = queries.active_series(session, period="day", keys=[keys["day"]])
            [in_plugin] = queries.active_series(session, period="day", keys=[keys["day"]], plugin="contributions")
            assert (day.readers, day.new, in_plugin.readers) == (1, 1, 1)
            assert queries.funnel(session).activated == 1


def test_a_rebuild_from_history_gives_the_figures_the_listeners_kept(app, db, make_user, runner):
    from core.activity import record_activity
    from core.points import award
    from plugins.insights.models import InsightsActive, InsightsCohort, InsightsCounter, InsightsReader

    readers = [make_user(cohort="Arts"), make_user(cohort="Science")]
    librarian = make_user(Role.librarian)
    with app.test_request_context():
        calendar = current_calendar()
        with db.write_session() as session:
            for n, moment in enumerate([at(2026, 6, 10), at(2026, 11, 2), at(2026, 11, 10)]):
                for reader in readers[: n + 1 if n < 2 else 1]:
                    award(session, user_id=reader.id, amount=5, rule="visit", plugin="core",
                          idempotency_key=f"r{n}:{reader.id}", at=moment, calendar=calendar)
            award(session, user_id=librarian.id, amount=5, rule="visit", plugin="core", idempotency_key="lib")
            record_activity(session, user_id=readers[1].id, plugin="contributions", kind="approved", source_ref="1")

    def snapshot():
        with db.session() as session:
            return [sorted(tuple(getattr(row, c.name) for c in row.__table__.columns)
                           for row in session.execute(__import__("sqlalchemy").select(model)).scalars())
                    for model in (InsightsActive, InsightsCohort, InsightsCounter, InsightsReader)]

    # The listeners dated each award "now"; the rebuild dates it when it happened.
    app.extensions["engage.plugins"].hooks.engage_cli_commands(cli=app.cli)  # as `engage` adds them
    result = runner.invoke(args=["insights", "rebuild"])
    assert result.exit_code == 0 and "6 event(s)" in result.output
    rebuilt = snapshot()
    with app.test_request_context():
        weeks = read(app, db, queries.active_series, period="week", keys=["2026-W24", "2026-W45", "2026-W46"])
    assert [(p.readers, p.new) for p in weeks] == [(1, 1), (2, 1), (1, 0)]
    assert runner.invoke(args=["insights", "rebuild"]).exit_code == 0
    assert snapshot() == rebuilt  # a rebuild repeats exactly
