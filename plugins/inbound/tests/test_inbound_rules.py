"""Rules: caps per day and week, a time window crossing midnight in library time, replays that
pay only the difference, previews by SQL, unmatched numbers matched later."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.models import PointEntry
from core.points import user_total
from plugins.inbound import matching, paying, replay
from plugins.inbound.models import InboundPayment, InboundReplay, InboundRule

from .conftest import event
from .test_inbound_api import URL, add_rule

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(days_ago: int, hour: int, minute: int = 0) -> str:
    """An instant in library time (Asia/Shanghai), ``days_ago`` days before today."""
    day = datetime.now(SHANGHAI).date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).isoformat()


def total(app, user_id) -> int:
    with app.app_context(), app.extensions["engage.db"].session() as session:
        return user_total(session, user_id)


def test_caps_per_day_in_points_and_per_week_in_events(app, client, headers, person, ctx):
    reader = person(member_number="S1")
    add_rule(ctx, points=4, day_points=10)
    batch = [event(f"d{i}", when=local(3, 9 + i)) for i in range(4)]  # 4+4+2 then capped
    answer = client.post(URL, headers=headers, json={"events": batch}).get_json()
    assert [r["points"] for r in answer["results"]] == [4, 4, 2, 0]
    assert total(app, reader.id) == 10
    with ctx() as session:
        session.execute(InboundRule.__table__.update().values(active=False))
    add_rule(ctx, kind="gate-entry", points=1, week_count=2)
    gate = [event(f"g{i}", kind="gate-entry", when=local(1, 8 + i)) for i in range(3)]
    answer = client.post(URL, headers=headers, json={"events": gate}).get_json()
    assert [r["points"] for r in answer["results"]] == [1, 1, 0]  # two a week at most


def test_caps_count_what_earlier_batches_paid_that_day_and_week(app, client, headers, person, ctx):
    first, second = person(member_number="S1"), person(member_number="S2")
    add_rule(ctx, points=1)  # loans: no caps, and never counted against the gate's
    add_rule(ctx, name="Gate", kind="gate-entry", points=3, day_count=1, week_points=6)
    today = datetime.now(SHANGHAI).date()
    monday = today.weekday() + 7  # last week's Monday, in days ago

    def gate(source_id, days_ago, reader="S1"):
        return event(source_id, kind="gate-entry", when=local(days_ago, 9), reader=reader)

    client.post(URL, headers=headers, json={"events": [gate("g1", monday), event("l1", when=local(monday, 9))]})
    answer = client.post(URL, headers=headers, json={"events": [
        gate("g2", monday),  # one a day: Monday's was paid by the batch before
        gate("g3", monday, reader="S2"),  # another reader's own caps
        event("l2", when=local(monday, 10)),
        gate("g4", monday - 1),  # Tuesday: 3 more makes the week's 6
        gate("g5", monday - 2),  # Wednesday: the week's points are used up
        gate("g6", monday + 7)]}).get_json()  # the week before: caps of its own
    assert {r["source_id"]: r["points"] for r in answer["results"]} == {
        "g2": 0, "g3": 3, "l2": 1, "g4": 3, "g5": 0, "g6": 3}
    assert total(app, first.id) == 3 + 1 + 1 + 3 + 3 and total(app, second.id) == 3


def test_a_window_crossing_midnight_in_library_time(app, client, headers, person, ctx):
    reader = person(member_number="S1")
    add_rule(ctx, name="Midnight owl", kind="gate-entry", points=3, window_start=22 * 60, window_end=6 * 60)
    times = {"late": local(2, 23, 30), "small-hours": local(2, 2, 15), "morning": local(2, 7, 0),
             "evening": local(2, 21, 59), "ten": local(2, 22, 0)}
    batch = [event(name, kind="gate-entry", when=when) for name, when in times.items()]
    answer = client.post(URL, headers=headers, json={"events": batch}).get_json()
    assert {r["source_id"]: r["points"] for r in answer["results"]} == {
        "late": 3, "small-hours": 3, "morning": 0, "evening": 0, "ten": 3}
    # The same instant in UTC is still library time: 23:30 in Shanghai is 15:30 UTC.
    utc = datetime.fromisoformat(local(3, 23, 30)).astimezone(timezone.utc).isoformat()
    answer = client.post(URL, headers=headers, json={"events": [event("utc", kind="gate-entry", when=utc)]}).get_json()
    assert answer["results"][0]["points"] == 3 and total(app, reader.id) == 12
    with app.app_context(), app.extensions["engage.db"].session() as session:
        rule = session.execute(select(InboundRule)).scalar_one()
        rule.weekdays = str((datetime.now(SHANGHAI).date() - timedelta(days=5)).weekday())
        assert paying.preview(session, rule, days=30)["events"] == 0


def test_replay_after_a_change_pays_only_the_difference_and_is_idempotent(app, client, headers, person, ctx):
    reader = person(member_number="S1")
    rule_id = add_rule(ctx, points=5, day_count=1)
    batch = [event(f"r{i}", when=local(4, 10 + i)) for i in range(3)]
    client.post(URL, headers=headers, json={"events": batch})
    assert total(app, reader.id) == 5
    with ctx() as session:
        rule = session.get(InboundRule, rule_id)
        assert paying.preview(session, rule, days=30) == {"days": 30, "events": 1, "readers": 1, "points": 5}
        rule.day_count = None  # the cap is lifted: the two capped loans are now due
        assert paying.preview(session, rule, days=30) == {"days": 30, "events": 3, "readers": 1, "points": 15}
        replay.request_replay(session, rule=rule, actor_id=None)
    # JOBS_IMMEDIATE ran the replay as the request committed
    assert total(app, reader.id) == 15
    with ctx() as session:
        done = session.execute(select(InboundReplay)).scalar_one()
        assert (done.status, done.events_paid, done.points, done.done, done.total) == ("done", 2, 10, 3, 3)
        replay.request_replay(session, rule=session.get(InboundRule, rule_id), actor_id=None)
    assert total(app, reader.id) == 15
    with ctx() as session:
        assert session.execute(select(func.count()).select_from(PointEntry)).scalar_one() == 3
        assert session.execute(select(func.count()).select_from(InboundPayment)).scalar_one() == 3


def test_preview_counts_readers_and_periods(app, client, headers, person, ctx):
    person(member_number="S1")
    person(member_number="S2")
    rule_id = add_rule(ctx, points=2, active=False)
    batch = [event("p1", reader="S1", when=local(10, 12)), event("p2", reader="S2", when=local(10, 13)),
             event("p3", reader="S1", when=local(60, 12)), event("p4", reader="NOBODY", when=local(5, 12))]
    answer = client.post(URL, headers=headers, json={"events": batch}).get_json()
    assert answer["points"] == 0  # switched off: it pays nothing
    with ctx() as session:
        rule = session.get(InboundRule, rule_id)
        assert paying.preview(session, rule, days=30) == {"days": 30, "events": 2, "readers": 2, "points": 4}
        assert paying.preview(session, rule, days=90) == {"days": 90, "events": 3, "readers": 2, "points": 6}


def test_unmatched_then_matched_by_hand_and_automatically(app, client, headers, person, ctx):
    add_rule(ctx, points=7)
    client.post(URL, headers=headers, json={"events": [event("u1", reader="OLD-9"), event("u2", reader="NEW-1")]})
    with ctx() as session:
        assert [n for n, _c, _l in matching.unmatched_numbers(session)] == ["NEW-1", "OLD-9"]
    reader = person(member_number="S5")
    with ctx() as session:
        assert matching.link(session, {"OLD-9": reader.id}) == (1, 7)
    assert total(app, reader.id) == 7
    newcomer = person(member_number="NEW-1")  # the roster brought the number
    app.extensions["engage.jobs"].run_periodic("inbound:match")
    assert total(app, newcomer.id) == 7
    with ctx() as session:
        assert matching.unmatched_numbers(session) == []
