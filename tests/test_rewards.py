"""The reward queue: points queued in a hot write's transaction, paid once, a moment later."""

from __future__ import annotations

import time
from contextlib import nullcontext

import pytest
from sqlalchemy import func, select

import example_plugin
from core import rewards
from core.models import ActivityEntry, BadgeAward, PendingReward, PointEntry, PointTotal
from core.testing import create_test_user


@pytest.fixture
def ex_app(app_factory):
    return app_factory(plugins=(example_plugin,))


def queue(app, user, key="example:quest:1", amount=7, activity="quest", fail=False):
    """Queue one reward in a transaction of its own (rolled back when ``fail``)."""
    db = app.extensions["engage.db"]
    with pytest.raises(RuntimeError) if fail else nullcontext(), app.app_context(), db.write_session() as session:
        rewards.defer_award(session, user_id=user.id, amount=amount, rule="quest", plugin="example",
                            idempotency_key=key, source_ref=key, activity=activity)
        if fail:
            raise RuntimeError("the hot write failed after queuing")


def counts(app, model, **where):
    with app.extensions["engage.db"].session() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.execute(query).scalar_one()


def pay(app):
    with app.app_context():
        return rewards.pay_all(app.extensions["engage.db"])


def test_a_reward_is_queued_with_its_transaction_and_paid_once(ex_app):
    reader = create_test_user(ex_app)
    queue(ex_app, reader, key="example:quest:lost", fail=True)  # rolled back: nothing queued
    queue(ex_app, reader)
    queue(ex_app, reader)  # the same key again: still one
    assert counts(ex_app, PendingReward) == 1 and counts(ex_app, PointEntry) == 0
    assert pay(ex_app) == 1 and pay(ex_app) == 0
    assert counts(ex_app, PendingReward) == 0
    with ex_app.extensions["engage.db"].session() as session:
        entry = session.execute(select(PointEntry)).scalar_one()
        assert (entry.user_id, entry.amount, entry.rule, entry.idempotency_key) == (reader.id, 7, "quest", "example:quest:1")
        assert session.get(PointTotal, reader.id).total == 7
    # The activity it carried was recorded, and the badge rules for it ran (the first quest ever).
    assert counts(ex_app, ActivityEntry, user_id=reader.id, kind="quest") == 1
    assert counts(ex_app, BadgeAward, user_id=reader.id, badge_key="example:pioneer") == 1


def test_a_key_already_paid_is_not_paid_again(ex_app):
    reader = create_test_user(ex_app)
    queue(ex_app, reader)
    pay(ex_app)
    queue(ex_app, reader)  # queued again after it was paid (a retried request, say)
    assert pay(ex_app) == 1  # the queue row is settled …
    assert counts(ex_app, PointEntry, user_id=reader.id) == 1  # … and the ledger paid once
    assert counts(ex_app, ActivityEntry, user_id=reader.id) == 1


def test_a_failing_reward_is_set_aside_and_the_others_are_paid(ex_app, monkeypatch):
    good, bad = create_test_user(ex_app), create_test_user(ex_app)
    queue(ex_app, good, key="example:quest:good")
    queue(ex_app, bad, key="example:quest:bad")
    real = rewards.award

    def award(session, **kw):
        if kw["idempotency_key"] == "example:quest:bad":
            raise ValueError("this reader's account is being moved")
        return real(session, **kw)

    monkeypatch.setattr(rewards, "award", award)
    for _round in range(rewards.MAX_ATTEMPTS):
        pay(ex_app)
    assert counts(ex_app, PointEntry, user_id=good.id) == 1 and counts(ex_app, PointEntry, user_id=bad.id) == 0
    with ex_app.extensions["engage.db"].session() as session:
        (stuck,) = rewards.failed(session)
    assert stuck.attempts == rewards.MAX_ATTEMPTS and "being moved" in stuck.last_error
    assert pay(ex_app) == 0  # set aside: no longer tried on every round

    runner = ex_app.test_cli_runner()
    from core.cli import check, pay_rewards

    result = runner.invoke(check)
    assert result.exit_code == 1 and "example:quest:bad" in result.output and "pay-rewards --retry" in result.output
    monkeypatch.setattr(rewards, "award", real)  # the cause is mended
    result = runner.invoke(pay_rewards, ["--retry"])
    assert result.exit_code == 0 and "1 rewards paid" in result.output
    assert counts(ex_app, PointEntry, user_id=bad.id) == 1
    assert runner.invoke(check).exit_code == 0


def wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_committed_reward_queues_a_paying_job(app_factory):
    app = app_factory(plugins=(example_plugin,), REWARD_JOBS=True)  # jobs run at once (JOBS_IMMEDIATE)
    reader = create_test_user(app)
    queue(app, reader)
    assert counts(app, PointEntry, user_id=reader.id) == 1
    assert counts(app, PendingReward) == 0


def test_a_rolled_back_reward_queues_nothing_and_the_next_commit_still_pays(app_factory):
    app = app_factory(plugins=(example_plugin,), REWARD_JOBS=True)
    reader = create_test_user(app)
    queue(app, reader, key="example:quest:gone", fail=True)
    assert counts(app, PendingReward) == 0 and counts(app, PointEntry) == 0
    queue(app, reader, key="example:quest:2")
    assert counts(app, PointEntry, user_id=reader.id) == 1


def test_the_periodic_job_pays_what_waited_from_before_a_restart(ex_app):
    reader = create_test_user(ex_app)
    queue(ex_app, reader)  # REWARD_JOBS off: nothing queued a job, as after a crash
    assert counts(ex_app, PendingReward) == 1
    ex_app.extensions["engage.jobs"].run_periodic("core:pay-rewards")
    assert counts(ex_app, PointEntry, user_id=reader.id) == 1
    assert counts(ex_app, PendingReward) == 0


def test_hot_path_statements_raise_sqlalchemy_errors_on_both_databases(app):
    """A driver's error on the compiled-statement cursor comes out as SQLAlchemy's, as from
    ``session.execute``: callers catch ``IntegrityError`` whatever the database."""
    from sqlalchemy import bindparam, insert
    from sqlalchemy.exc import IntegrityError

    from core.ledger_sql import bind_time, compiled, cursor
    from core.models import User, utcnow

    reader = create_test_user(app)
    columns = ("email", "password_hash", "display_name", "role", "hide_from_boards", "public_profile",
               "is_active", "created_at")
    twin = insert(User.__table__).values({c: bindparam(c) for c in columns})
    with app.app_context(), app.extensions["engage.db"].session(write=True) as session:
        with pytest.raises(IntegrityError), cursor(session) as handle:
            handle.execute(compiled(session, "tests.twin-user", twin), {
                "email": reader.email, "password_hash": "x", "display_name": "Twin", "role": "student",
                "hide_from_boards": False, "public_profile": False, "is_active": True,
                "created_at": bind_time(session, utcnow())})
        session.rollback()


def test_several_payers_pay_every_reward_exactly_once_without_deadlocks(app_factory, caplog):
    """Four payers drain one queue at once (on PostgreSQL: rows claimed with SKIP LOCKED, locks
    taken in user order). Every reward is paid once, no batch falls back to one-by-one (which a
    deadlock or any other error would cause), nothing is logged as a warning or error."""
    import logging
    import threading

    from core.points import check_totals

    app = app_factory(plugins=(example_plugin,))
    db = app.extensions["engage.db"]
    readers = [create_test_user(app) for _ in range(24)]
    rewards_queued = 480
    with app.app_context(), db.write_session() as session:
        for n in range(rewards_queued):  # readers interleaved, amounts that share rank-count rows
            reader = readers[(n * 7) % len(readers)]
            rewards.defer_award(session, user_id=reader.id, amount=3 + n % 11, rule="quest", plugin="example",
                                idempotency_key=f"example:burst:{n}", source_ref=f"example:burst:{n}",
                                activity="quest")
    barrier, paid, errors = threading.Barrier(4), [], []

    def payer():
        try:
            with app.app_context():
                barrier.wait()
                mine = 0
                while batch := rewards.pay_due(db, limit=20):
                    mine += batch
                paid.append(mine)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    caplog.set_level(logging.INFO, logger="core.rewards")
    threads = [threading.Thread(target=payer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    with app.app_context():
        paid.append(rewards.pay_all(db))  # anything a payer skipped while another held it
    assert not errors
    assert sum(paid) == rewards_queued
    assert [r.getMessage() for r in caplog.records if r.name == "core.rewards"] == []
    assert counts(app, PendingReward) == 0
    assert counts(app, PointEntry) == rewards_queued
    assert counts(app, ActivityEntry, kind="quest") == rewards_queued
    with app.app_context(), db.session() as session:
        assert check_totals(session) == []
