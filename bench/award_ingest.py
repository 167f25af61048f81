"""Benchmark: how fast the public service function ``core.points.award`` ingests awards.

One award per transaction, exactly as a plugin pays points::

    with db.write_session() as session:
        award(session, user_id=..., amount=..., rule=..., plugin=..., idempotency_key=...)

Each award writes a ledger row and upserts the user's all-time total and the week, month
and term totals. Runs in one process with the app's default settings (built-in plugins
loaded, plugin switches re-read every PLUGIN_REFRESH_SECONDS). Afterwards it proves with
``check_totals`` that every maintained total equals the ledger.

    python bench/award_ingest.py                                  # SQLite, a temporary file
    python bench/award_ingest.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

On PostgreSQL it works in its own schema (``--schema``, default ``engage_bench``), which it
drops and recreates at the start of every run; nothing else in that database is touched.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _pg import fresh_schema_url
from sqlalchemy import func, select

TARGET_SQLITE = 2_000  # awards per second
RULES = [("visit", 5), ("borrow", 10), ("event", 20), ("review", 15), ("quiz", 8)]


def _percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    index = max(0, min(len(sorted_values) - 1, round(pct / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--awards", type=int, default=20_000, help="timed awards (default 20000)")
    parser.add_argument("--batch", type=int, default=1,
                        help="awards per transaction (1 = each award commits on its own, as a request does)")
    parser.add_argument("--users", type=int, default=1_000, help="users the awards are spread over (default 1000)")
    parser.add_argument("--warmup", type=int, default=500, help="untimed awards first (default 500)")
    parser.add_argument("--database-url", help="PostgreSQL URL; default is a temporary SQLite file")
    parser.add_argument("--schema", default="engage_bench", help="PostgreSQL schema to (re)create (default engage_bench)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from core import create_app
    from core.accounts import create_user, hash_password
    from core.migrations import upgrade
    from core.models import PointEntry
    from core.points import award, check_totals

    tmp = tempfile.TemporaryDirectory(prefix="engage-bench-")
    if args.database_url:
        if not args.database_url.startswith("postgresql"):
            parser.error("--database-url must be a PostgreSQL URL (SQLite is the default)")
        url = fresh_schema_url(args.database_url, args.schema)
        label = f"PostgreSQL (schema {args.schema})"
    else:
        url = f"sqlite:///{Path(tmp.name) / 'bench.sqlite'}"
        label = "SQLite (WAL, temp file)"

    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url}, instance_path=str(Path(tmp.name) / "instance"),
                     check_schema=False)
    upgrade(app)  # the schema as `engage db upgrade` makes it
    db = app.extensions["engage.db"]
    rng = random.Random(args.seed)

    with app.app_context():
        t0 = time.perf_counter()
        pw = hash_password("benchmark only")  # one real hash, reused: argon2 per user would dominate
        with db.write_session() as session:
            user_ids = [create_user(session, email=f"reader{i}@bench.library", password="",
                                    display_name=f"Reader {i}", password_hash=pw).id
                        for i in range(args.users)]
        print(f"created {len(user_ids)} users in {time.perf_counter() - t0:.2f} s")

        def one(first: int, count: int) -> str:
            with db.write_session() as session:
                for n in range(first, first + count):
                    rule, amount = rng.choice(RULES)
                    status = award(session, user_id=rng.choice(user_ids), amount=amount, rule=rule,
                                   plugin="bench", idempotency_key=f"bench:{n}").status
                    if status != "awarded":
                        return status
            return status

        for n in range(args.warmup):
            one(-1 - n, 1)

        latencies = []
        clock = time.perf_counter
        cpu_started = time.process_time()
        started = clock()
        for n in range(0, args.awards, args.batch):
            t = clock()
            status = one(n, min(args.batch, args.awards - n))
            latencies.append(clock() - t)
            if status != "awarded":
                raise SystemExit(f"award {n} came back {status!r}")
        elapsed = clock() - started
        cpu = time.process_time() - cpu_started

        with db.session() as session:
            rows = session.execute(select(func.count()).select_from(PointEntry)).scalar_one()
            t = clock()
            problems = check_totals(session)
            check_seconds = clock() - t

    db.dispose()
    tmp.cleanup()

    latencies.sort()
    rate = args.awards / elapsed
    header = f"{'database':<34} {'awards':>8} {'seconds':>8} {'awards/s':>9} {'p50 ms':>7} {'p99 ms':>7}"
    print()
    per = "one award per transaction" if args.batch == 1 else f"{args.batch} awards per transaction (p50/p99 per transaction)"
    print(f"award ingest: core.points.award, {per}, ledger + all-time + week/month/term totals")
    print(header)
    print("-" * len(header))
    print(f"{label:<34} {args.awards:>8} {elapsed:>8.2f} {rate:>9,.0f} "
          f"{statistics.median(latencies) * 1000:>7.3f} {_percentile(latencies, 99) * 1000:>7.3f}")
    print()
    print(f"users: {args.users}, warm-up awards: {args.warmup}, ledger rows: {rows}")
    print(f"this process's CPU time per award: {cpu / args.awards * 1e6:.0f} us "
          f"(at most {args.awards / cpu:,.0f} awards/s if it had a core to itself; "
          f"the database server's own CPU is not counted)")
    if not args.database_url:
        verdict = "met" if rate >= TARGET_SQLITE else "NOT met"
        print(f"target: >= {TARGET_SQLITE:,} awards/s on SQLite -> {verdict}")
    print(f"check_totals over {rows} ledger rows took {check_seconds:.2f} s")
    print(f"totals equal ledger: {'yes' if not problems else 'NO'}")
    for problem in problems[:20]:
        print("  ", problem)
    ok = not problems and rows == args.awards + args.warmup
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
