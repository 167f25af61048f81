"""The ledger under real concurrency: several OS processes, each with its own app and engine.

Children are started with the "spawn" method, so nothing (engine, pool, app) is inherited:
each builds its app exactly as ``conftest.make_app`` does, on the same database URL, waits on
a shared barrier so all start together, then races ``award`` calls and reports through a queue.
Runs on SQLite by default and on PostgreSQL when ENGAGE_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import time
import traceback
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from core.models import PointEntry, PointTotal
from core.points import award, check_totals

PROCESSES = 4
SHARED_KEY = "race:shared-event"
TIMEOUT = 60


# --- what each child process runs (module level, so "spawn" can import it) -------------------

def _child_app(database_url: str, instance_path: str):
    from core import create_app

    # The same settings as conftest.make_app (plugin switches re-read on every call, etc.).
    settings = {"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
                "PLUGIN_REFRESH_SECONDS": 0, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                "PLUGIN_ENTRY_POINT_GROUP": None}
    return create_app(settings, instance_path=instance_path)


def _race_shared_key(n, database_url, instance_path, user_id, rounds, barrier, results):
    try:
        from core.points import award

        app = _child_app(database_url, instance_path)
        db = app.extensions["engage.db"]
        out = []
        barrier.wait(TIMEOUT)
        for i in range(rounds):
            with app.app_context(), db.write_session() as session:
                r = award(session, user_id=user_id, amount=5, rule="race", plugin="core",
                          idempotency_key=SHARED_KEY)
            out.append(("shared", r.status, r.amount))
            with app.app_context(), db.write_session() as session:
                r = award(session, user_id=user_id, amount=1, rule="race-own", plugin="core",
                          idempotency_key=f"race:own:{n}:{i}")
            out.append(("own", r.status, r.amount))
        db.dispose()
        results.put((n, "ok", out))
    except BaseException:
        results.put((n, "error", traceback.format_exc()))


def _race_daily_cap(n, database_url, instance_path, user_id, tries, barrier, results):
    try:
        from core.points import award

        app = _child_app(database_url, instance_path)
        db = app.extensions["engage.db"]
        out = []
        barrier.wait(TIMEOUT)
        for i in range(tries):
            with app.app_context(), db.write_session() as session:
                r = award(session, user_id=user_id, amount=10, rule="capped-visit", plugin="core",
                          idempotency_key=f"cap:{n}:{i}", daily_cap=50)
            out.append((r.status, r.amount))
        db.dispose()
        results.put((n, "ok", out))
    except BaseException:
        results.put((n, "error", traceback.format_exc()))


# --- the parent's side -----------------------------------------------------------------------

def _run_children(target, *args) -> dict[int, list]:
    """Start PROCESSES spawned children running ``target(n, *args, barrier, queue)``; their results."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    procs = [ctx.Process(target=target, args=(n, *args, barrier, results), daemon=True)
             for n in range(PROCESSES)]
    for p in procs:
        p.start()
    collected, errors = {}, []
    try:
        for _ in procs:
            try:
                n, status, payload = results.get(timeout=TIMEOUT)
            except queue_module.Empty:
                raise AssertionError(f"a child process did not report within {TIMEOUT}s "
                                     f"(exit codes: {[p.exitcode for p in procs]})") from None
            if status == "ok":
                collected[n] = payload
            else:
                errors.append(f"child {n}:\n{payload}")
        for p in procs:
            p.join(TIMEOUT)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join(5)
    assert not errors, "\n".join(errors)
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    return collected


def test_same_idempotency_key_from_several_processes_pays_once(app, db, make_user, database_url, tmp_path):
    user = make_user()
    rounds = 5
    found = _run_children(_race_shared_key, database_url, str(tmp_path / "instance"), user.id, rounds)

    shared = {n: [status for kind, status, _ in out if kind == "shared"] for n, out in found.items()}
    winners = [n for n, statuses in shared.items() if "awarded" in statuses]
    assert len(winners) == 1, shared
    everything = [s for statuses in shared.values() for s in statuses]
    assert everything.count("awarded") == 1 and everything.count("duplicate") == PROCESSES * rounds - 1, shared
    own = [status for out in found.values() for kind, status, _ in out if kind == "own"]
    assert own == ["awarded"] * (PROCESSES * rounds)

    with app.app_context(), db.session() as session:
        assert session.execute(select(func.count()).select_from(PointEntry)
                               .where(PointEntry.idempotency_key == SHARED_KEY)).scalar_one() == 1
        ledger = session.execute(select(func.sum(PointEntry.amount))
                                 .where(PointEntry.user_id == user.id)).scalar_one()
        assert ledger == 5 + PROCESSES * rounds
        assert session.get(PointTotal, user.id).total == ledger
        assert check_totals(session) == []


def test_daily_cap_holds_under_concurrency(app, db, make_user, database_url, tmp_path):
    user = make_user()
    tries = 10
    found = _run_children(_race_daily_cap, database_url, str(tmp_path / "instance"), user.id, tries)

    outcomes = [r for out in found.values() for r in out]
    assert len(outcomes) == PROCESSES * tries
    assert sum(amount for status, amount in outcomes if status == "awarded") == 50, outcomes
    assert {status for status, _ in outcomes} <= {"awarded", "capped"}

    with app.app_context(), db.session() as session:
        today = session.execute(select(func.coalesce(func.sum(PointEntry.amount), 0)).where(
            PointEntry.user_id == user.id, PointEntry.rule == "capped-visit")).scalar_one()
        assert today == 50
        assert session.get(PointTotal, user.id).total == 50
        assert check_totals(session) == []


# --- hours of the day the races above cannot choose -------------------------------------------
# SQLite keeps a DateTime's digits and drops its zone (core.models.UTCDateTime stores UTC and
# reads it back as UTC). Without that, between 16:00 and 24:00 UTC the daily cap compared the
# local midnight's digits with UTC digits and never counted today's awards (the race above
# then paid 400, not 50), and check_totals put entries in the wrong month when the server's
# own time zone was not UTC. The races run at the current time; these pin the hours.

def test_daily_cap_counts_the_local_day_at_any_hour(app, db, make_user):
    user = make_user()
    # 02:00 UTC is 10:00 in Asia/Shanghai; 20:00 UTC is 04:00 the next local day.
    for n, moment in enumerate([datetime(2026, 11, 23, 2, tzinfo=timezone.utc),
                                datetime(2026, 11, 23, 20, tzinfo=timezone.utc)]):
        got = []
        for i in range(4):
            with app.app_context(), db.write_session() as session:
                r = award(session, user_id=user.id, amount=20, rule="visit", plugin="core",
                          idempotency_key=f"hour:{n}:{i}", daily_cap=50, at=moment + timedelta(minutes=i))
            got.append((r.status, r.amount))
        assert got == [("awarded", 20), ("awarded", 20), ("awarded", 10), ("capped", 0)], moment


def test_check_totals_agrees_whatever_the_servers_time_zone(app, db, make_user, monkeypatch):
    user = make_user()
    # 20:00 UTC on 30 November is 04:00 on 1 December in the library's time zone.
    with app.app_context(), db.write_session() as session:
        award(session, user_id=user.id, amount=5, rule="visit", plugin="core", idempotency_key="tz",
              at=datetime(2026, 11, 30, 20, tzinfo=timezone.utc))
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        with app.app_context(), db.session() as session:
            assert check_totals(session) == []
    finally:
        monkeypatch.undo()
        time.tzset()
