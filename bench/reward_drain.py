"""Benchmark: rewards paid per second by one or several `engage worker` processes.

Builds a fresh database (SQLite under bench/results/, or a schema of its own on PostgreSQL with
``--database-url``) holding ``--users`` readers, queues ``--rewards`` rewards with
``core.rewards.defer_award`` (as ballots do, without queuing a job: as if they were left from
before a restart), then starts ``--workers`` `engage worker` processes (the first runs the
scheduler, the others ``--no-scheduler``; with ``--redis`` they share a Redis queue, else the
SQLite queue file) and times until the reward queue is empty. A worker pays at start-up, so
no request is needed. It checks that every reward was paid exactly once (one ledger row per
key) and that every total equals the ledger; the exit status is 1 if not.

    python bench/reward_drain.py [--rewards 5000] [--users 500] [--workers 1]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--schema engage_bench_drain]
        [--redis redis://127.0.0.1:6379/14]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

from _pg import fresh_schema_url  # noqa: E402  (bench/ is the script's own folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rewards", type=int, default=5000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--schema", default="engage_bench_drain")
    parser.add_argument("--redis", default=None, help="a Redis URL for the queue (default: the SQLite queue file)")
    opts = parser.parse_args()

    instance = RESULTS / "reward-drain"
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    if opts.database_url:
        url, label = fresh_schema_url(opts.database_url, opts.schema), "PostgreSQL"
    else:
        url, label = f"sqlite:///{instance / 'engage.sqlite'}", "SQLite (WAL)"
    env = {**os.environ, "ENGAGE_INSTANCE_PATH": str(instance), "ENGAGE_SECRET_KEY": "bench-drain",
           "ENGAGE_DATABASE_URL": url, "ENGAGE_REWARD_JOBS": "false"}
    if opts.redis:
        env |= {"ENGAGE_JOBS_URL": opts.redis, "ENGAGE_JOBS_NAME": f"bench-{uuid.uuid4().hex[:8]}"}
    os.environ.update(env)

    from sqlalchemy import func, select

    from core import create_app
    from core.accounts import create_user, hash_password
    from core.migrations import upgrade
    from core.models import PendingReward, PointEntry, Role
    from core.points import check_totals
    from core.rewards import defer_award

    app = create_app(check_schema=False)
    upgrade(app)
    db = app.extensions["engage.db"]
    with app.app_context():
        shared = hash_password("bench-drain-2026")
        with db.write_session() as session:
            users = [create_user(session, email=f"r{i}@bench.library", password="", password_hash=shared,
                                 display_name=f"Reader {i}", role=Role.student).id for i in range(opts.users)]
        for start in range(0, opts.rewards, 500):
            with db.write_session() as session:
                for n in range(start, min(start + 500, opts.rewards)):
                    defer_award(session, user_id=users[n % len(users)], amount=5, rule="bench", plugin="core",
                                idempotency_key=f"bench:{n}", activity=None)
    db.dispose()
    print(f"{label}: {opts.rewards} rewards queued for {opts.users} readers; starting {opts.workers} worker(s) "
          f"on the {'Redis' if opts.redis else 'SQLite'} queue …", flush=True)
    workers = []
    started = time.monotonic()
    for n in range(opts.workers):
        extra = [] if n == 0 else ["--no-scheduler"]
        workers.append(subprocess.Popen([sys.executable, "-m", "core", "worker", *extra], cwd=ROOT, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    first = None
    try:
        while True:
            with db.session() as session:
                left = session.execute(select(func.count()).select_from(PendingReward)).scalar_one()
            if first is None and left < opts.rewards:
                first = time.monotonic()  # the first batch is paid: the workers are up
            if not left:
                break
            if time.monotonic() - started > 600:
                sys.exit("the workers did not pay within 10 minutes")
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        first = first or started
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
    with app.app_context(), db.session() as session:
        paid = session.execute(select(func.count()).select_from(PointEntry).where(PointEntry.rule == "bench")).scalar_one()
        keys = session.execute(select(func.count(func.distinct(PointEntry.idempotency_key)))
                               .where(PointEntry.rule == "bench")).scalar_one()
        problems = check_totals(session)
    paying = elapsed - (first - started)
    print(f"paid {paid} rewards in {elapsed:.2f} s from the workers' start ({paying:.2f} s from the first paid "
          f"batch): {paid / paying:,.0f} rewards/s while paying")
    print(f"exactly once: {'yes' if paid == keys == opts.rewards else 'NO'}; totals equal ledger: "
          f"{'yes' if not problems else 'NO'}")
    if paid != opts.rewards or keys != paid or problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
