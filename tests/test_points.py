"""The append-only ledger and the totals it maintains."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from core.models import AuditEntry, PeriodTotal, PointEntry, PointTotal
from core.periods import Calendar, TermSpan, default_term
from core.points import PointsError, adjust, award, check_totals, period_totals, rebuild_totals, reverse, user_total

AT = datetime(2026, 11, 23, 4, 0, tzinfo=timezone.utc)  # Monday noon in Nanjing


@pytest.fixture
def student(make_user):
    return make_user()


@pytest.fixture
def ctx(app, db):
    """An app context and a write session that commits at the end of the block."""
    with app.app_context():
        yield db


def pay(db, user, amount=10, key="k", **kw):
    with db.write_session() as session:
        return award(session, user_id=user.id, amount=amount, rule=kw.pop("rule", "read"), plugin="test",
                     idempotency_key=key, **kw)


def totals(db, user):
    with db.session() as session:
        return user_total(session, user.id), period_totals(session, user.id, at=AT)


def test_award_writes_ledger_and_every_total_in_one_go(ctx, student):
    result = pay(ctx, student, 10, "k1", at=AT, source_ref="challenge:1", actor_id=None)
    assert result.paid and result.amount == 10
    with ctx.session() as session:
        entry = session.get(PointEntry, result.entry_id)
        assert (entry.user_id, entry.amount, entry.rule, entry.plugin, entry.source_ref) == (student.id, 10, "read", "test", "challenge:1")
        keys = {(p.period, p.period_key): p.total for p in session.execute(select(PeriodTotal)).scalars()}
    assert keys == {("week", "2026-W48"): 10, ("month", "2026-11"): 10, ("term", "2026-autumn"): 10}
    assert totals(ctx, student) == (10, {"week": 10, "month": 10, "term": 10})


def test_same_idempotency_key_never_pays_twice(ctx, student):
    assert pay(ctx, student, 10, "same").status == "awarded"
    assert pay(ctx, student, 10, "same").status == "duplicate"
    with ctx.session() as session:
        assert session.execute(select(func.count()).select_from(PointEntry)).scalar_one() == 1
    assert totals(ctx, student)[0] == 10


def test_failed_transaction_leaves_neither_ledger_nor_totals(ctx, student):
    with pytest.raises(RuntimeError):
        with ctx.write_session() as session:
            award(session, user_id=student.id, amount=10, rule="read", plugin="test", idempotency_key="boom")
            raise RuntimeError("the plugin's own write failed")
    assert totals(ctx, student)[0] == 0
    assert pay(ctx, student, 10, "boom").paid  # the key is still free


def test_corrections_are_compensating_entries(ctx, student):
    paid = pay(ctx, student, 25, "k")
    with ctx.write_session() as session:
        undone = reverse(session, entry_id=paid.entry_id, actor_id=None, reason="paid by mistake")
    assert undone.amount == -25
    with ctx.write_session() as session:
        assert reverse(session, entry_id=paid.entry_id, actor_id=None, reason="again").status == "duplicate"
        with pytest.raises(PointsError):
            reverse(session, entry_id=undone.entry_id, actor_id=None, reason="undo the undo")
    with ctx.session() as session:
        amounts = sorted(e.amount for e in session.execute(select(PointEntry)).scalars())
    assert amounts == [-25, 25]
    assert totals(ctx, student)[0] == 0


def test_daily_cap_cuts_and_then_refuses(ctx, student):
    results = [pay(ctx, student, 20, f"k{i}", daily_cap=50, at=AT) for i in range(4)]
    assert [(r.status, r.amount) for r in results] == [("awarded", 20), ("awarded", 20), ("awarded", 10), ("capped", 0)]
    tomorrow = AT.replace(day=24)
    assert pay(ctx, student, 20, "next-day", daily_cap=50, at=tomorrow).amount == 20


def test_zero_award_is_refused(ctx, student):
    with pytest.raises(PointsError):
        pay(ctx, student, 0)


def test_manual_adjustment_needs_a_reason_and_is_audited(ctx, student, make_user):
    librarian = make_user("librarian")
    with ctx.write_session() as session:
        with pytest.raises(PointsError, match="reason"):
            adjust(session, user_id=student.id, amount=5, actor_id=librarian.id, reason="  ", idempotency_key="a1")
        for absurd in (0, 10_001, -10_001):
            with pytest.raises(PointsError):
                adjust(session, user_id=student.id, amount=absurd, actor_id=librarian.id, reason="r", idempotency_key="a2")
    with ctx.write_session() as session:
        adjust(session, user_id=student.id, amount=-5, actor_id=librarian.id, reason="lost book fine", idempotency_key="a3")
    with ctx.session() as session:
        audit = session.execute(select(AuditEntry)).scalars().one()
        assert (audit.actor_id, audit.action, audit.detail, audit.reason) == (librarian.id, "points.adjust", "-5", "lost book fine")
    assert totals(ctx, student)[0] == -5


def test_tie_break_time_is_when_the_total_was_reached(ctx, student):
    pay(ctx, student, 5, "late", at=AT)
    pay(ctx, student, 5, "early", at=AT.replace(hour=1))
    with ctx.session() as session:
        reached = session.get(PointTotal, student.id).reached_at
    assert reached.astimezone(timezone.utc) == AT


def test_check_finds_drift_and_rebuild_repairs_it(ctx, student, make_user):
    other = make_user()
    pay(ctx, student, 10, "a", at=AT)
    pay(ctx, other, 7, "b", at=AT)
    with ctx.session() as session:
        assert check_totals(session) == []
    with ctx.write_session() as session:
        session.get(PointTotal, student.id).total = 999
        session.execute(PeriodTotal.__table__.delete().where(PeriodTotal.user_id == other.id))
    with ctx.session() as session:
        problems = check_totals(session)
    assert any("total 999, ledger says 10" in p for p in problems)
    assert any(f"user {other.id}: week" in p for p in problems)
    with ctx.write_session() as session:
        assert rebuild_totals(session) == 2
    with ctx.session() as session:
        assert check_totals(session) == []


def test_periods_follow_local_time_and_configured_terms():
    calendar = Calendar("Asia/Shanghai", [TermSpan("t1", "T1", "一", date(2026, 9, 7), date(2027, 1, 15))])
    late_sunday_utc = datetime(2026, 11, 29, 17, 0, tzinfo=timezone.utc)  # Monday 01:00 in Nanjing
    assert calendar.keys(late_sunday_utc) == {"week": "2026-W49", "month": "2026-11", "term": "t1"}
    winter_break = datetime(2027, 2, 1, 4, tzinfo=timezone.utc)
    assert "term" not in calendar.keys(winter_break)


@pytest.mark.parametrize("day, key", [(date(2026, 9, 1), "2026-autumn"), (date(2027, 1, 31), "2026-autumn"),
                                      (date(2027, 2, 1), "2027-spring"), (date(2027, 8, 31), "2027-spring")])
def test_default_terms(day, key):
    assert default_term(day).key == key


def _state(session, user_id):
    """What the ledger and its listeners left for a user: totals, badges, notifications."""
    from core.models import BadgeAward, Notification

    badges = sorted(session.execute(select(BadgeAward.badge_key).where(BadgeAward.user_id == user_id)).scalars())
    notes = sorted(session.execute(select(Notification.kind, Notification.text_en)
                                   .where(Notification.user_id == user_id)).all())
    return user_total(session, user_id), period_totals(session, user_id, at=AT), badges, notes


def test_award_many_leaves_what_a_loop_of_awards_leaves(ctx, make_user):
    from core.models import Role
    from core.points import Payment, award_many

    amounts = [1, 60, 45, -5, 10]  # crosses the 1- and 100-point badges and a level on the way
    twins = [(make_user(), make_user()) for _ in range(3)] + [(make_user(Role.librarian), make_user(Role.librarian))]
    with ctx.write_session() as session:
        for n, (looped, _batched) in enumerate(twins):
            for i, amount in enumerate(amounts):
                award(session, user_id=looped.id, amount=amount + n, rule="read", plugin="test",
                      idempotency_key=f"loop:{n}:{i}", at=AT)
    payments = [Payment(batched.id, amount + n, "read", "test", f"many:{n}:{i}")
                for i, amount in enumerate(amounts) for n, (_looped, batched) in enumerate(twins)]
    with ctx.write_session() as session:
        results = award_many(session, payments, at=AT)
    assert [r.status for r in results] == ["awarded"] * len(payments)
    assert [r.amount for r in results] == [p.amount for p in payments]
    with ctx.session() as session:
        for looped, batched in twins:
            assert _state(session, batched.id) == _state(session, looped.id)
        assert check_totals(session) == []  # the rank counts too: staff are off readers' boards


def test_award_many_pays_a_key_once_and_refuses_before_writing(ctx, student, make_user):
    from core.points import Payment, award_many

    other = make_user()
    pay(ctx, student, 5, key="already")
    with ctx.write_session() as session:
        results = award_many(session, [Payment(student.id, 7, "read", "test", "already"),
                                       Payment(other.id, 2, "read", "test", "new"),
                                       Payment(student.id, 3, "read", "test", "new")], at=AT)
    assert [(r.status, r.amount) for r in results] == [("duplicate", 0), ("awarded", 2), ("duplicate", 0)]
    for bad in (Payment(student.id, 0, "read", "test", "zero"),
                Payment(student.id, 4, "read", "test", "self", actor_id=student.id)):
        with pytest.raises(PointsError), ctx.write_session() as session:
            award_many(session, [Payment(other.id, 9, "read", "test", "fine"), bad], at=AT)
    with ctx.session() as session:
        assert (user_total(session, student.id), user_total(session, other.id)) == (5, 2)
        assert session.execute(select(func.count()).select_from(PointEntry)).scalar_one() == 2
