"""Benchmark: a redemption burst on one popular perk through gunicorn, then a reconciliation.

Builds a fresh database (SQLite under bench/results/, or a schema of its own on PostgreSQL with
``--database-url``) holding ``--readers`` readers, each with ``--points`` earned points, and one
perk costing ``--cost`` with ``--stock`` in stock and at most ``--per-reader`` per reader. It
starts gunicorn with ``--workers`` sync workers on loopback and signs every reader in through the
real login form (not timed). Then ``--processes`` client processes with ``--threads`` threads each
fire the redemptions: every reader sends ``--tries`` redemptions, each from ``--tabs`` tabs at
once (each tab its own form, so its own token), and re-sends its first form once more (a double
click: the same token). Each POST carries the page's CSRF token, as a browser does.

Prints redemptions/s and p50/p99 latency over every POST, then reconciles against the database:

* zero oversold: vouchers = perk's redeemed count = stock taken, never above the stock;
* zero over the limit: no reader holds more than ``--per-reader`` vouchers;
* zero double: each voucher has its own spend row (idempotency key), a re-sent form made no
  second voucher, and every 303 answer points at one of the vouchers;
* zero overdrawn: each reader's spent points = vouchers × cost ≤ earned; every wallet equals
  its spending ledger; the points ledger (what boards count) is untouched by spending.

Rate limits would stop clients that all share 127.0.0.1, so the server runs with
``ENGAGE_RATELIMIT_ENABLED=false``; CSRF stays on. Target (the issue): p99 ≤ 100 ms, zero
oversold, zero double. The exit status is 1 when the reconciliation fails.

    python bench/redeem_burst.py [--readers 400] [--points 100] [--cost 30] [--stock 300] [--per-reader 2]
        [--tries 3] [--tabs 2] [--workers 4] [--processes 2] [--threads 4]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--schema engage_bench_redeem]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import secrets
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PASSWORD = "bench-redeem-burst-2026"
sys.path.insert(0, str(ROOT))

from _pg import fresh_schema_url  # noqa: E402  (bench/ is the script's own folder)
from _serve import gunicorn  # noqa: E402
from vote_burst import Browser  # noqa: E402  (the same hand-rolled HTTP client)

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def build(database_url: str, instance: Path, opts) -> tuple[int, list[str], dict[str, int]]:
    """Readers with points and one popular perk; returns (perk id, emails, {email: user id})."""
    from sqlalchemy import insert, select

    from core import create_app
    from core.accounts import hash_password
    from core.migrations import upgrade
    from core.models import Role, User, utcnow
    from core.points import award
    from plugins.rewards.models import Perk

    app = create_app({"SECRET_KEY": "bench-redeem", "DATABASE_URL": database_url}, instance_path=str(instance),
                     check_schema=False)
    upgrade(app)
    db = app.extensions["engage.db"]
    shared = hash_password(PASSWORD)
    emails = [f"reader{i}@bench.library" for i in range(opts.readers)]
    now = utcnow()
    with app.app_context(), db.write_session() as session:
        session.execute(insert(User), [{"email": e, "password_hash": shared, "display_name": f"Reader {i}",
                                        "role": Role.student.value, "created_at": now} for i, e in enumerate(emails)])
        ids = dict(session.execute(select(User.email, User.id).where(User.email.in_(emails))).all())
        for email in emails:
            award(session, user_id=ids[email], amount=opts.points, rule="bench", plugin="core",
                  idempotency_key=f"bench:{email}")
        perk = Perk(name_en="Author talk seat", name_zh="作家讲座座位", cost=opts.cost, stock=opts.stock,
                    per_reader=opts.per_reader)
        session.add(perk)
        session.flush()
        perk_id = perk.id
    db.dispose()
    return perk_id, emails, ids


def sign_in(browser: Browser, email: str) -> None:
    _status, page = browser.request("GET", "/auth/login")
    status, _page = browser.request("POST", "/auth/login", [("email", email), ("password", PASSWORD),
                                                            ("csrf_token", CSRF.search(page).group(1))])
    if status not in (302, 303):
        raise RuntimeError(f"signing in {email} answered {status}")
    _status, page = browser.request("GET", "/rewards/")
    browser.token = CSRF.search(page).group(1)


def client_process(port, perk_id, emails, tries, tabs, threads, barrier, queue) -> None:
    """Sign this slice of readers in, wait for every process, fire; put (start, results) on ``queue``."""
    browsers = {}
    for email in emails:
        browsers[email] = Browser(port)
        sign_in(browsers[email], email)
    jobs = []  # a reader's tabs sit next to each other, so they leave at about the same time
    for n in range(tries):
        for email in emails:
            for _tab in range(tabs):
                jobs.append((email, secrets.token_urlsafe(12)))
            if n == 0:
                jobs.append(jobs[-1])  # the last form sent again: a double click
    results: list[tuple] = []
    lock = threading.Lock()
    position = iter(range(len(jobs)))

    def worker():
        while True:
            with lock:
                n = next(position, None)
            if n is None:
                return
            email, form_token = jobs[n]
            browser = browsers[email]
            begin = time.perf_counter()
            status, _body = browser.request("POST", f"/rewards/perks/{perk_id}/redeem",
                                            [("token", form_token), ("csrf_token", browser.token)])
            elapsed = (time.perf_counter() - begin) * 1000
            with lock:
                results.append((email, form_token, status, elapsed, time.time()))

    barrier.wait()
    started = time.time()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put((started, results))


def reconcile(database_url: str, instance: Path, perk_id: int, ids: dict[str, int], results: list, opts) -> bool:
    from sqlalchemy import select

    from core import create_app
    from core.models import PointTotal
    from core.points import check_totals
    from plugins.rewards import service
    from plugins.rewards.models import Perk, Spend, Voucher

    app = create_app({"SECRET_KEY": "bench-redeem", "DATABASE_URL": database_url}, instance_path=str(instance))
    db = app.extensions["engage.db"]
    with app.app_context(), db.session() as session:
        perk = session.get(Perk, perk_id)
        vouchers = session.execute(select(Voucher.user_id, Voucher.spend_id).where(Voucher.perk_id == perk_id)).all()
        per_reader: dict[int, int] = {}
        for user_id, _spend in vouchers:
            per_reader[user_id] = per_reader.get(user_id, 0) + 1
        spends = session.execute(select(Spend.idempotency_key).where(Spend.source_ref == f"perk:{perk_id}")).scalars().all()
        spent = dict(session.execute(select(service.Wallet.user_id, service.Wallet.spent)).all())
        earned = dict(session.execute(select(PointTotal.user_id, PointTotal.total)).all())
        wallets = service.check_wallets(session)
        totals = check_totals(session)
        voucher_count = len(vouchers)
    db.dispose()
    accepted = [r for r in results if r[2] == 303]
    resent = {}
    for email, form_token, status, _ms, _at in results:
        resent.setdefault((email, form_token), []).append(status)
    checks = {
        f"zero oversold: vouchers = redeemed = stock taken ≤ {opts.stock}":
            voucher_count == perk.redeemed == opts.stock - perk.stock and voucher_count <= opts.stock,
        f"zero over the limit: no reader above {opts.per_reader}": max(per_reader.values(), default=0) <= opts.per_reader,
        "zero double: one spend row per voucher, one voucher per form (re-sent forms too)":
            len(spends) == len(set(spends)) == voucher_count == len({(e, t) for e, t, *_ in accepted}),
        "zero overdrawn: spent = vouchers × cost ≤ earned, for every reader":
            all(spent.get(u, 0) == per_reader.get(u, 0) * opts.cost <= earned[u] for u in ids.values()),
        "wallets equal the spending ledger": wallets == [],
        "boards' totals untouched by spending (= points earned, and equal to the ledger)":
            totals == [] and all(earned[u] == opts.points for u in ids.values()),
    }
    for label, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {label}")
    print(f"  vouchers {voucher_count}, stock left {perk.stock}, readers holding one {len(per_reader)}, "
          f"re-sent forms answered {sum(1 for s in resent.values() if len(s) > 1)}")
    return all(checks.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readers", type=int, default=400)
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--cost", type=int, default=30)
    parser.add_argument("--stock", type=int, default=300)
    parser.add_argument("--per-reader", type=int, default=2)
    parser.add_argument("--tries", type=int, default=3, help="redemptions each reader attempts (per tab)")
    parser.add_argument("--tabs", type=int, default=2, help="forms a reader sends at the same moment")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=4, help="client threads per process")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--schema", default="engage_bench_redeem", help="PostgreSQL schema to (re)create")
    opts = parser.parse_args()

    instance = RESULTS / "redeem-burst"
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    if opts.database_url:
        url, label = fresh_schema_url(opts.database_url, opts.schema), f"PostgreSQL (schema {opts.schema})"
    else:
        url, label = f"sqlite:///{instance / 'engage.sqlite'}", "SQLite (WAL)"
    perk_id, emails, ids = build(url, instance, opts)

    env = {**os.environ, "ENGAGE_INSTANCE_PATH": str(instance), "ENGAGE_SECRET_KEY": "bench-redeem",
           "ENGAGE_DATABASE_URL": url, "ENGAGE_RATELIMIT_ENABLED": "false"}
    with gunicorn(env, workers=opts.workers) as port:
        print(f"{label}: gunicorn {opts.workers} sync workers; {opts.readers} readers signing in …", flush=True)
        slices = [emails[i::opts.processes] for i in range(opts.processes)]
        barrier, queue = multiprocessing.Barrier(opts.processes), multiprocessing.Queue()
        clients = [multiprocessing.Process(target=client_process, args=(
            port, perk_id, part, opts.tries, opts.tabs, opts.threads, barrier, queue)) for part in slices]
        for c in clients:
            c.start()
        parts = [queue.get() for _ in clients]
        for c in clients:
            c.join()
    results = [r for _started, part in parts for r in part]
    wall = max(r[4] for r in results) - min(started for started, _part in parts)
    latencies = sorted(r[3] for r in results)
    statuses: dict[int, int] = {}
    for r in results:
        statuses[r[2]] = statuses.get(r[2], 0) + 1
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"{len(results)} POSTs in {wall:.2f} s from {opts.processes}×{opts.threads} client threads; "
          f"statuses {dict(sorted(statuses.items()))} (303 voucher, 409 refused: points, stock or limit)")
    print(f"requests/s {len(results) / wall:,.0f}   p50 {statistics.median(latencies):.1f} ms   p99 {p99:.1f} ms   "
          "(target: p99 ≤ 100 ms)")
    print("reconciliation:")
    good = reconcile(url, instance, perk_id, ids, results, opts)
    print("reconciled: " + ("yes — zero oversold, zero double, zero overdrawn" if good else "NO"))
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
