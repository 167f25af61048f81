"""Benchmark: how fast the reward queue is paid, by one payer and by several at once.

Queues ``--rewards`` rewards (``core.rewards.defer_award``, each with an activity, as a vote
burst does) over ``--users`` readers, then starts ``--payers`` processes, each with its own app
and engine (as separate servers or workers would be), that call ``core.rewards.pay_due`` until it
finds nothing to claim. Prints rewards paid per second, the rewards paid one by one after a batch
failed (a deadlock or any other error does that), error log lines, PostgreSQL's deadlock count
for the run, and whether every reward was paid exactly once with totals equal to the ledger.

    python bench/reward_payers.py --payers 1                      # SQLite, a temporary file
    python bench/reward_payers.py --payers 2
    python bench/reward_payers.py --payers 2 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

On PostgreSQL it works in its own schema (``--schema``, default ``engage_bench_rewards``), which
it drops and recreates at the start of every run.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _pg import fresh_schema_url  # noqa: E402


def _app(url: str, instance: str):
    from core import create_app

    return create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "REWARD_JOBS": False}, instance_path=instance, check_schema=False)


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.fallbacks = self.errors = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.errors += 1
        elif "one by one" in record.getMessage():
            self.fallbacks += 1


def _payer(url, instance, batch, barrier, results) -> None:
    from core import rewards

    app = _app(url, instance)
    db = app.extensions["engage.db"]
    counter = _Count()
    log = logging.getLogger("core.rewards")
    log.addHandler(counter)
    log.setLevel(logging.INFO)
    log.propagate = False
    paid, crash = 0, ""
    with app.app_context():
        barrier.wait()
        try:
            while batch_paid := rewards.pay_due(db, limit=batch):
                paid += batch_paid
        except Exception as exc:  # noqa: BLE001 — a payer that dies is a figure too
            crash = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    results.put((paid, time.perf_counter(), counter.fallbacks, counter.errors + bool(crash), crash))
    db.dispose()


def _deadlocks(url: str) -> int | None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        value = conn.execute(text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")).scalar()
    engine.dispose()
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rewards", type=int, default=2_000, help="rewards queued (default 2000)")
    parser.add_argument("--users", type=int, default=200, help="readers they are spread over (default 200)")
    parser.add_argument("--payers", type=int, default=1, help="paying processes at once (default 1)")
    parser.add_argument("--batch", type=int, default=50, help="rewards per paying transaction (default 50)")
    parser.add_argument("--database-url", help="PostgreSQL URL; default is a temporary SQLite file")
    parser.add_argument("--schema", default="engage_bench_rewards", help="PostgreSQL schema to (re)create")
    args = parser.parse_args(argv)

    from sqlalchemy import func, select

    from core.accounts import create_user, hash_password
    from core.migrations import upgrade
    from core.models import PendingReward, PointEntry
    from core.points import check_totals
    from core.rewards import defer_award

    tmp = tempfile.TemporaryDirectory(prefix="engage-bench-")
    if args.database_url:
        url = fresh_schema_url(args.database_url, args.schema)
        label = "PostgreSQL"
    else:
        url = f"sqlite:///{Path(tmp.name) / 'bench.sqlite'}"
        label = "SQLite (WAL)"
    instance = str(Path(tmp.name) / "instance")
    app = _app(url, instance)
    upgrade(app)
    db = app.extensions["engage.db"]
    with app.app_context():
        pw = hash_password("benchmark only")
        with db.write_session() as session:
            users = [create_user(session, email=f"reader{i}@bench.library", password="", display_name=f"Reader {i}",
                                 password_hash=pw).id for i in range(args.users)]
        with db.write_session() as session:
            for n in range(args.rewards):
                defer_award(session, user_id=users[(n * 7) % len(users)], amount=3 + n % 11, rule="vote",
                            plugin="bench", idempotency_key=f"bench:vote:{n}", source_ref=f"bench:vote:{n}",
                            activity="vote")
    deadlocks_before = _deadlocks(url) if args.database_url else None

    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(args.payers + 1), ctx.Queue()
    children = [ctx.Process(target=_payer, args=(url, instance, args.batch, barrier, results))
                for _ in range(args.payers)]
    for child in children:
        child.start()
    barrier.wait()
    started = time.perf_counter()
    reports = [results.get(timeout=900) for _ in children]
    for child in children:
        child.join()
    elapsed = max(report[1] for report in reports) - started
    paid = sum(report[0] for report in reports)
    if args.database_url:
        time.sleep(1.0)  # other backends' statistics reach pg_stat_database when they end
    deadlocks = (_deadlocks(url) - deadlocks_before) if args.database_url else None

    with app.app_context(), db.session() as session:
        entries = session.execute(select(func.count()).select_from(PointEntry)).scalar_one()
        left = session.execute(select(func.count()).select_from(PendingReward)).scalar_one()
        problems = check_totals(session)
    db.dispose()
    tmp.cleanup()

    print(f"reward drain: {args.rewards} rewards (each with an activity) over {args.users} readers, "
          f"{args.batch} per transaction")
    header = f"{'database':<14} {'payers':>6} {'seconds':>8} {'rewards/s':>10} {'one-by-one':>10} {'errors':>6} {'deadlocks':>9}"
    print(header)
    print("-" * len(header))
    print(f"{label:<14} {args.payers:>6} {elapsed:>8.2f} {paid / elapsed:>10,.0f} "
          f"{sum(r[2] for r in reports):>10} {sum(r[3] for r in reports):>6} "
          f"{'-' if deadlocks is None else deadlocks:>9}")
    print(f"paid per payer: {[r[0] for r in reports]}; ledger rows: {entries}; left in the queue: {left}")
    for crash in (r[4] for r in reports if r[4]):
        print(f"a payer stopped: {crash}")
    print(f"every reward paid exactly once, totals equal ledger: "
          f"{'yes' if entries == args.rewards and not left and not problems else 'NO'}")
    return 0 if entries == args.rewards and not left and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
