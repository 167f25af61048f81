"""Benchmark: a burst of QR check-ins at one event through gunicorn, then a reconciliation.

Builds a fresh database (SQLite under bench/results/, or a schema of its own on PostgreSQL with
``--database-url``) holding ``--readers`` readers registered for one event that is on now, starts
gunicorn with ``--workers`` workers on loopback and signs every reader in through the real login
form (set-up, not timed). Then the readers arrive over ``--spread`` seconds (each at a random
moment; ``--spread 0``: all at once), from ``--processes`` client processes with ``--threads``
threads each, and do what a phone does after scanning the code on the screen:

1. GET the screen's live code fragment and read the check-in address from it (the QR's content);
2. GET that address (the page with the "Check me in" button and its CSRF token);
3. POST it — with ``--tabs 2`` twice at the same moment, as from two tabs.

Prints check-ins/s and p50/p99 latency of the POSTs (and of all requests), then reconciles with
the database: one check-in row per reader, every reader told "checked in" has one, one ledger
payment per reader (zero double). Target (the issue): 500 readers within a minute through 4
workers, p99 ≤ 100 ms, zero double check-ins. The exit status is 1 when reconciliation fails.

    python bench/checkin_burst.py [--readers 500] [--spread 60] [--tabs 1] [--workers 4]
        [--processes 4] [--threads 8] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import html
import multiprocessing
import os
import random
import re
import shutil
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-checkin"
sys.path.insert(0, str(ROOT))

from _pg import fresh_schema_url  # noqa: E402  (bench/ is the script's own folder)
from _serve import gunicorn  # noqa: E402
from vote_burst import PASSWORD, TOKEN, Browser  # noqa: E402  (the same plain HTTP client)

CHECKIN_URL = re.compile(r'data-checkin-url="([^"]+)"')


def build(database_url: str, instance: Path, readers: int) -> tuple[int, str, list[str]]:
    """Readers registered for one event on now; returns (event id, live token, emails)."""
    from sqlalchemy import insert, select

    from core import create_app
    from argon2 import PasswordHasher
    from core.migrations import upgrade
    from core.models import Role, User, utcnow
    from plugins.events import codes
    from plugins.events.models import Event, Registration

    app = create_app({"SECRET_KEY": SECRET, "DATABASE_URL": database_url}, instance_path=str(instance),
                     check_schema=False)
    upgrade(app)
    db = app.extensions["engage.db"]
    # Signing in is set-up, not what is measured: a cheap argon2 hash (the one the tests use) keeps
    # 500 sign-ins from taking minutes on a busy machine; the server verifies it as it would any.
    shared = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    emails = [f"reader{i}@bench.library" for i in range(readers)]
    now = utcnow()
    with app.test_request_context("/"), db.write_session() as session:
        session.execute(insert(User), [{"email": e, "password_hash": shared, "display_name": f"Reader {i}",
                                        "role": Role.student.value, "created_at": now} for i, e in enumerate(emails)])
        event = Event(title_en="Author talk", title_zh="作者讲座", place="Lecture hall", capacity=readers,
                      starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=2), points=20)
        session.add(event)
        session.flush()
        ids = session.execute(select(User.id).where(User.email.like("%@bench.library"))).scalars().all()
        session.execute(insert(Registration), [{"event_id": event.id, "user_id": i, "status": "registered",
                                                "queued_at": now, "updated_at": now} for i in ids])
        event_id, token = event.id, codes.live_token(event.id)
    db.dispose()
    return event_id, token, emails


def client_process(port, token, emails, spread, tabs, threads, seed, barrier, queue) -> None:
    """Sign in this slice of readers, wait at ``barrier``, then check each in at their moment."""
    rng = random.Random(seed)
    browsers = {}
    for email in emails:
        for attempt in range(5):  # a busy machine may time a worker out: try again
            browser = Browser(port)
            _status, page = browser.request("GET", "/auth/login")
            found = TOKEN.search(page)
            if found:
                browser.token = found.group(1)
                status, _page = browser.request("POST", "/auth/login", [("email", email), ("password", PASSWORD),
                                                                        ("csrf_token", browser.token)])
                if status in (302, 303):
                    break
            time.sleep(1)
        else:
            raise RuntimeError(f"signing in {email} failed five times")
        browsers[email] = browser
    plan = sorted((rng.uniform(0, spread), email) for email in emails)
    results: list[tuple] = []  # (email, kind, status, ms, said)
    lock = threading.Lock()
    position = iter(range(len(plan)))

    def timed(browser, method, path, form=None):
        begin = time.perf_counter()
        status, body = browser.request(method, path, form)
        return status, body, (time.perf_counter() - begin) * 1000

    def arrive(email):
        browser = browsers[email]
        status, body, ms = timed(browser, "GET", f"/events/live/{token}")
        out = [(email, "live", status, ms, "")]
        path = html.unescape(CHECKIN_URL.search(body).group(1)).split(f":{port}", 1)[1]
        status, body, ms = timed(browser, "GET", path)
        out.append((email, "page", status, ms, ""))
        csrf = TOKEN.search(body).group(1)
        answers = []

        def post():
            status, body, ms = timed(browser, "POST", path,
                                     [("csrf_token", csrf)])
            said = "new" if "You are checked in" in body else "already" if "already checked in" in body else "other"
            answers.append((email, "post", status, ms, said))

        tabs_threads = [threading.Thread(target=post) for _ in range(tabs)]
        for t in tabs_threads:
            t.start()
        for t in tabs_threads:
            t.join()
        return out + answers

    barrier.wait()
    started = time.time()

    def worker():
        while True:
            with lock:
                n = next(position, None)
            if n is None:
                return
            at, email = plan[n]
            delay = started + at - time.time()
            if delay > 0:
                time.sleep(delay)
            rows = arrive(email)
            with lock:
                results.extend(rows)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put((started, time.time(), results))


def reconcile(database_url: str, instance: Path, event_id: int, results: list[tuple]) -> bool:
    from sqlalchemy import func, select

    from core import create_app
    from core.models import PointEntry, User
    from plugins.events.models import CheckIn

    told_new = [r[0] for r in results if r[1] == "post" and r[4] == "new"]
    app = create_app({"SECRET_KEY": SECRET, "DATABASE_URL": database_url}, instance_path=str(instance))
    db = app.extensions["engage.db"]
    with app.app_context(), db.session() as session:
        rows = session.execute(select(User.email).join(CheckIn, CheckIn.user_id == User.id)
                               .where(CheckIn.event_id == event_id)).scalars().all()
        paid = session.execute(select(PointEntry.user_id, func.count()).where(
            PointEntry.idempotency_key.like(f"events:attended:{event_id}:%")).group_by(PointEntry.user_id)).all()
    db.dispose()
    readers = {r[0] for r in results}
    checks = {
        "one check-in row per reader": len(rows) == len(set(rows)) == len(readers),
        "zero lost: every reader told 'checked in' has a row": set(told_new) <= set(rows),
        "zero double: 'checked in' told once per reader": len(told_new) == len(set(told_new)) == len(rows),
        "one payment per reader": len(paid) == len(rows) and all(n == 1 for _u, n in paid),
    }
    for label, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {label}")
    print(f"  check-in rows {len(rows)}, readers {len(readers)}, told new {len(told_new)}, paid {len(paid)}")
    return all(checks.values())


def percentile(values, share):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * share))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readers", type=int, default=500)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds over which the readers arrive")
    parser.add_argument("--tabs", type=int, default=1, help="simultaneous POSTs per reader")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--schema", default="engage_bench_checkin")
    opts = parser.parse_args()

    instance = RESULTS / "checkin-burst"
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    if opts.database_url:
        url, label = fresh_schema_url(opts.database_url, opts.schema), f"PostgreSQL (schema {opts.schema})"
    else:
        url, label = f"sqlite:///{instance / 'engage.sqlite'}", "SQLite (WAL)"
    event_id, token, emails = build(url, instance, opts.readers)

    env = {**os.environ, "ENGAGE_INSTANCE_PATH": str(instance), "ENGAGE_SECRET_KEY": SECRET,
           "ENGAGE_DATABASE_URL": url, "ENGAGE_RATELIMIT_ENABLED": "false"}
    with gunicorn(env, workers=opts.workers, timeout=120) as port:
        print(f"{label}: gunicorn {opts.workers} workers; {opts.readers} readers signing in …", flush=True)
        slices = [emails[i::opts.processes] for i in range(opts.processes)]
        barrier, queue = multiprocessing.Barrier(opts.processes), multiprocessing.Queue()
        clients = [multiprocessing.Process(target=client_process, args=(
            port, token, part, opts.spread, opts.tabs, opts.threads, n, barrier, queue))
            for n, part in enumerate(slices)]
        for c in clients:
            c.start()
        parts = [queue.get() for _ in clients]
        for c in clients:
            c.join()
    results = [r for _s, _e, part in parts for r in part]
    wall = max(e for _s, e, _p in parts) - min(s for s, _e, _p in parts)
    posts = [r for r in results if r[1] == "post"]
    statuses: dict[int, int] = {}
    for r in results:
        statuses[r[2]] = statuses.get(r[2], 0) + 1
    post_ms, all_ms = [r[3] for r in posts], [r[3] for r in results]
    print(f"{len(results)} requests ({len(posts)} check-in POSTs) in {wall:.1f} s, arrivals spread over "
          f"{opts.spread:g} s, {opts.tabs} tab(s) per reader; statuses {dict(sorted(statuses.items()))}")
    print(f"check-in POST: p50 {statistics.median(post_ms):.1f} ms   p99 {percentile(post_ms, 0.99):.1f} ms   "
          f"max {max(post_ms):.1f} ms   (target p99 ≤ 100 ms)")
    print(f"every request (live code, page, POST): p50 {statistics.median(all_ms):.1f} ms   "
          f"p99 {percentile(all_ms, 0.99):.1f} ms")
    print("reconciliation:")
    good = reconcile(url, instance, event_id, results)
    print("reconciled: " + ("yes — zero lost, zero double" if good else "NO"))
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
