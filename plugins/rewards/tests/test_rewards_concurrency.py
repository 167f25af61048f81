"""Redemptions under real concurrency: several OS processes, each with its own app and engine,
racing on one reader's wallet (many tabs at once) and on one perk's stock and per-reader limit.
Runs on SQLite, and on PostgreSQL when ENGAGE_TEST_DATABASE_URL is set."""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import traceback

from sqlalchemy import func, select

from core.models import PointTotal
from plugins.rewards import service
from plugins.rewards.models import Claim, Perk, Voucher

PROCESSES = 4
TIMEOUT = 90


def _redeem_many(n, database_url, instance_path, perk_id, user_ids, tries, barrier, results):
    try:
        from core import create_app
        from core.models import User
        from plugins.rewards import service

        app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
                          "PLUGIN_REFRESH_SECONDS": 0, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                          "PLUGIN_ENTRY_POINT_GROUP": None}, instance_path=instance_path)
        db = app.extensions["engage.db"]
        out = []
        barrier.wait(TIMEOUT)
        for i in range(tries):
            for user_id in user_ids:
                with app.test_request_context(), db.write_session() as session:
                    user = session.get(User, user_id)
                    try:
                        service.redeem(session, perk_id=perk_id, user=user, key=f"tab-{n}-{i}")
                        out.append((user_id, "ok"))
                    except service.RewardsError as error:
                        session.rollback()
                        out.append((user_id, error.message))
        db.dispose()
        results.put((n, "ok", out))
    except BaseException:
        results.put((n, "error", traceback.format_exc()))


def _race(*args) -> list:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_redeem_many, args=(n, *args, barrier, results), daemon=True) for n in range(PROCESSES)]
    for p in procs:
        p.start()
    found, errors = [], []
    try:
        for _ in procs:
            try:
                n, status, payload = results.get(timeout=TIMEOUT)
            except queue_module.Empty:
                raise AssertionError(f"a child did not report (exit codes {[p.exitcode for p in procs]})") from None
            (found.extend if status == "ok" else errors.append)(payload)
        for p in procs:
            p.join(TIMEOUT)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
    assert not errors, "\n".join(errors)
    return found


def test_one_reader_in_many_tabs_never_overdraws(shop, database_url, tmp_path):
    reader = shop.reader(100)  # enough for exactly three at 30
    perk = shop.perk(cost=30)
    outcomes = _race(database_url, str(tmp_path / "i"), perk.id, [reader.id], 3)
    assert sum(1 for _u, status in outcomes if status == "ok") == 3, outcomes
    assert {status for _u, status in outcomes if status != "ok"} == {"You need 30 points and have 10 to spend."}
    with shop.read() as session:
        assert service.balance(session, reader.id).spent == 90
        assert session.get(PointTotal, reader.id).total == 100
        assert service.check_wallets(session) == []


def test_a_popular_perk_is_never_oversold_nor_beyond_the_limit(shop, database_url, tmp_path):
    readers = [shop.reader(1000) for _ in range(6)]
    perk = shop.perk(cost=10, stock=7, per_reader=2)
    outcomes = _race(database_url, str(tmp_path / "i"), perk.id, [r.id for r in readers], 2)
    assert sum(1 for _u, status in outcomes if status == "ok") == 7, outcomes
    with shop.read() as session:
        row = session.get(Perk, perk.id)
        assert (row.stock, row.redeemed) == (0, 7)
        per_reader = dict(session.execute(select(Voucher.user_id, func.count()).group_by(Voucher.user_id)).all())
        assert sum(per_reader.values()) == 7 and max(per_reader.values()) <= 2
        claims = dict(session.execute(select(Claim.user_id, Claim.count)).all())
        assert {u: c for u, c in claims.items() if c} == per_reader
        assert all(service.balance(session, r.id).spent == 10 * per_reader.get(r.id, 0) for r in readers)
        assert service.check_wallets(session) == []
