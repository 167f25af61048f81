"""Making a badge: checked for empty and contradictory requirements and taken names, previewed for
every reader at once, given to those who already qualify by the job queue, then earned in the
earning transaction like a built-in badge, and retired without losing what was issued."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from core.activity import record_activity
from core.badges import get_rule, known_rule
from core.models import ActivityEntry, BadgeAward, Role, Term
from core.points import award

from plugins.badgemaker import service
from plugins.badgemaker.models import Backfill, MadeBadge
from plugins.badgemaker.rules import Need, Spec, qualifying

from .conftest import switch

ACT = "badgemaker:activities"


def make(session, name="Night owl", zh="夜猫子", spec=None, **kw):
    spec = spec or Spec((Need(ACT, "example/quest", 2),))
    return service.make(session, name_en=name, name_zh=zh, how_en="Do it.", how_zh="做吧。", spec=spec,
                        actor_id=None, **kw)


def quests(session, user_id, n, at=None, kind="quest"):
    for i in range(n):
        entry = record_activity(session, user_id=user_id, plugin="example", kind=kind, source_ref=f"{kind}{user_id}-{i}-{at}")
        if at is not None and entry is not None:
            session.execute(update(ActivityEntry).where(ActivityEntry.id == entry.id).values(created_at=at))


def holders(bm_app, key):
    with bm_app.app_context(), bm_app.extensions["engage.db"].session() as session:
        return set(session.execute(select(BadgeAward.user_id).where(BadgeAward.badge_key == key)).scalars())


def test_empty_and_contradictory_requirements_are_refused_with_clear_messages(ctx):
    with ctx() as session:
        assert "at least one" in " ".join(service.problems(session, Spec(())))
        twice = Spec((Need(ACT, "*", 2), Need(ACT, "*", 5)))
        assert "asked for twice" in " ".join(service.problems(session, twice))
        points_by_term = Spec((Need("badgemaker:points", "", 100),), hours=(22 * 60, 24 * 60 - 1))
        assert "cannot be limited to hours" in " ".join(service.problems(session, points_by_term))
        empty_window = Spec((Need(ACT, "*", 1),), hours=(600, 600))
        assert "same time" in " ".join(service.problems(session, empty_window))
        session.add(Term(key="t1", name_en="Autumn", name_zh="秋季", starts_on=datetime(2026, 9, 1).date(),
                         ends_on=datetime(2026, 10, 12).date()))
        session.flush()
        long_streak = Spec((Need("badgemaker:streak", "*", 20),), term_key="t1")
        assert "cannot fit" in " ".join(service.problems(session, long_streak))
        assert "no such term" in " ".join(service.problems(session, Spec((Need(ACT, "*", 1),), term_key="nope")))
        assert service.problems(session, Spec((Need(ACT, "*", 1),), hours=(22 * 60, 6 * 60))) == []


def test_a_name_already_taken_is_refused_and_nothing_is_written(ctx, bm_app):
    with ctx() as session:
        make(session)
    with ctx() as session:
        with pytest.raises(service.MakeError, match="already exists"):
            make(session, name="night OWL", zh="另一个")
        with pytest.raises(service.MakeError, match="already exists"):
            make(session, name="Century", zh="新的")  # a built-in badge's name
    with bm_app.app_context(), bm_app.extensions["engage.db"].session() as session:
        assert len(session.execute(select(MadeBadge)).all()) == 1


def test_preview_counts_every_reader_who_qualifies_today_within_the_hours(ctx, person):
    owl, lark, few = person(), person(), person()
    night = datetime(2026, 11, 2, 15, 0, tzinfo=timezone.utc)  # 23:00 in Shanghai
    day = datetime(2026, 11, 2, 3, 0, tzinfo=timezone.utc)  # 11:00
    with ctx() as session:
        quests(session, owl.id, 3, night)
        quests(session, lark.id, 3, day)
        quests(session, few.id, 1, night)
    with ctx() as session:
        assert qualifying(session, Spec((Need(ACT, "example/quest", 2),))) == {owl.id, lark.id}
        assert qualifying(session, Spec((Need(ACT, "example/quest", 2),), hours=(22 * 60, 6 * 60))) == {owl.id}
        assert qualifying(session, Spec((Need(ACT, "*", 2),), hours=(8 * 60, 12 * 60))) == {lark.id}


def test_saving_gives_it_to_those_who_qualify_then_it_is_earned_in_the_awarding_transaction(ctx, person, bm_app):
    early, late = person(), person()
    with ctx() as session:
        quests(session, early.id, 2)
    with ctx() as session:
        badge = make(session, spec=Spec((Need(ACT, "example/quest", 2), Need("badgemaker:points", "", 10))))
    assert holders(bm_app, badge.key) == set()  # early has no points yet
    with ctx() as session:
        award(session, user_id=early.id, amount=10, rule="t", plugin="core", idempotency_key="e1")
        assert get_rule(badge.key).threshold == 10
    assert holders(bm_app, badge.key) == {early.id}  # crossing 10 points asked the made rule
    with ctx() as session:
        award(session, user_id=late.id, amount=50, rule="t", plugin="core", idempotency_key="l1")
        quests(session, late.id, 1)
    assert holders(bm_app, badge.key) == {early.id}
    with ctx() as session:
        quests(session, late.id, 2)  # the second quest ever: recorded, and the badge with it
    assert holders(bm_app, badge.key) == {early.id, late.id}


def test_the_job_gives_a_new_badge_to_readers_who_already_qualify_with_progress(ctx, person, bm_app):
    readers = [person() for _ in range(5)]
    with ctx() as session:
        for reader in readers[:3]:
            quests(session, reader.id, 2)
    with ctx() as session:
        badge = make(session)
    assert holders(bm_app, badge.key) == {r.id for r in readers[:3]}  # the job ran as the save committed
    with bm_app.app_context(), bm_app.extensions["engage.db"].session() as session:
        backfill = session.execute(select(Backfill).where(Backfill.badge_id == badge.id)).scalar_one()
        assert (backfill.state, backfill.readers_total, backfill.readers_done, backfill.granted) == ("done", 3, 3, 3)
    with bm_app.test_request_context():
        assert service.grant_waiting(bm_app.extensions["engage.db"]) == 0  # running again gives nothing twice


def test_retiring_keeps_what_was_issued_and_stops_new_awards(ctx, person, bm_app):
    holder, later = person(), person()
    with ctx() as session:
        quests(session, holder.id, 2)
        badge = make(session)
    with ctx() as session:
        service.retire(session, badge=session.get(MadeBadge, badge.id), actor_id=None)
    with ctx() as session:
        quests(session, later.id, 3)
        assert get_rule(badge.key) is None and known_rule(badge.key).retired
    assert holders(bm_app, badge.key) == {holder.id}
    client = bm_app.test_client()
    assert client.get(f"/badges/{badge.key}").status_code == 200


def test_switched_off_its_pages_answer_404_and_issued_badges_stay_verifiable(ctx, person, bm_app, login):
    holder = person()
    with ctx() as session:
        quests(session, holder.id, 2)
        badge = make(session)
    librarian = login(person(Role.librarian))
    assert librarian.get("/badgemaker/").status_code == 200
    switch(bm_app, "badgemaker", False)
    assert librarian.get("/badgemaker/").status_code == 404
    assert librarian.get(f"/badges/{badge.key}").status_code == 200  # issued: still shown
    other = person()
    with ctx() as session:
        quests(session, other.id, 2)
        assert get_rule(badge.key) is None
    assert holders(bm_app, badge.key) == {holder.id}
    switch(bm_app, "badgemaker", True)
    assert librarian.get(f"/badgemaker/{badge.id}").status_code == 200


def test_hours_counted_by_the_database_agree_with_reading_each_row(ctx, person):
    from core.badge_criteria import CriterionScope
    from plugins.badgemaker.criteria import LocalClock, count_activities

    reader = person()
    moments = [datetime(2026, 11, 2, h, m, tzinfo=timezone.utc) for h in range(24) for m in (0, 59)]
    with ctx() as session:
        for i, at in enumerate(moments):
            quests(session, reader.id, 1, at, kind=f"k{i}")
    with ctx() as session:
        from core.points import current_calendar

        tz = current_calendar().tz
        for hours in ((22 * 60, 6 * 60), (8 * 60, 12 * 60 + 30), (0, 60), (23 * 60 + 59, 0)):
            scope = CriterionScope(hours=hours, tz=tz)
            expected = sum(1 for at in moments if LocalClock(tz).within(at, hours))
            assert count_activities(session, option="*", scope=scope) == {reader.id: expected}, hours
            assert count_activities(session, option="*", scope=scope, user_id=reader.id) == {reader.id: expected}
            assert expected == sum(1 for at in moments if scope.admits(at))


def test_weeks_in_a_row_counted_by_the_database_agree_with_one_readers_count(ctx, person):
    from core.badge_criteria import CriterionScope
    from core.models import utcnow
    from plugins.badgemaker.criteria import count_streak

    now = utcnow()
    runs = {3: [0, 1, 2], 2: [1, 2, 5], 0: [2, 3], 1: [0, 4, 5]}  # streak: weeks ago with an activity
    readers = {expected: person() for expected in runs}
    with ctx() as session:
        for expected, weeks_ago in runs.items():
            reader = readers[expected]
            for n, ago in enumerate(weeks_ago):
                quests(session, reader.id, 1, now - timedelta(weeks=ago, hours=1), kind=f"w{n}")
    with ctx() as session:
        everyone = count_streak(session, option="*", scope=CriterionScope())
        for expected, reader in readers.items():
            alone = count_streak(session, option="*", scope=CriterionScope(), user_id=reader.id)
            assert everyone.get(reader.id, 0) == alone.get(reader.id, 0), expected
        assert everyone.get(readers[0].id, 0) == 0 and everyone.get(readers[2].id, 0) >= 2


def test_a_pass_after_every_process_knew_the_rule_catches_who_qualified_meanwhile(ctx, person, bm_app):
    from core.models import utcnow

    db = bm_app.extensions["engage.db"]
    with ctx() as session:
        badge = make(session)
    with bm_app.app_context(), db.session() as session:
        backfill = session.execute(select(Backfill).where(Backfill.badge_id == badge.id)).scalar_one()
        assert backfill.state == "done" and not backfill.settled  # run at once: another worker may not know yet
    meanwhile = person()
    with bm_app.app_context(), db.write_session() as session:  # earned by a worker that had not read the rule
        for n in range(2):
            session.add(ActivityEntry(user_id=meanwhile.id, plugin="example", kind="quest", source_ref=f"m{n}"))
        session.execute(update(MadeBadge).where(MadeBadge.id == badge.id).values(created_at=utcnow() - timedelta(minutes=5)))
    with bm_app.test_request_context():
        assert service.grant_waiting(db) == 1
        assert service.grant_waiting(db) == 0  # settled: not asked again
    assert holders(bm_app, badge.key) == {meanwhile.id}
    with bm_app.app_context(), db.session() as session:
        assert session.execute(select(Backfill.settled).where(Backfill.badge_id == badge.id)).scalar_one()
