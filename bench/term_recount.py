"""Benchmark: recounting term totals after term dates change (``core.term_recount``).

Fills a ledger of ``--rows`` entries over ``--users`` readers spread across a year, proves the
totals, then moves a term's dates and recounts in steps of ``CHUNK_USERS`` readers, as the
progress page does. Prints the whole recount's time, rows per second and the longest single
step (how long an award to a reader in that chunk may wait), then proves the totals again.
The figures decide ``TERM_RECOUNT_INLINE_ROWS``: a ledger recounted within a request should
take well under a second or two.

    python bench/term_recount.py                                  # SQLite, a temporary file
    python bench/term_recount.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from _pg import fresh_schema_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="ledger rows (default 100000)")
    parser.add_argument("--users", type=int, default=2_000, help="readers (default 2000)")
    parser.add_argument("--database-url", help="PostgreSQL URL; default is a temporary SQLite file")
    parser.add_argument("--schema", default="engage_bench", help="PostgreSQL schema to (re)create")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from core import create_app, term_recount
    from core.accounts import hash_password
    from core.migrations import upgrade
    from core.models import PointEntry, User
    from core.periods import TermSpan
    from core.points import check_totals, rebuild_totals
    from core.terms import save_term

    tmp = tempfile.TemporaryDirectory(prefix="engage-bench-")
    if args.database_url:
        url, label = fresh_schema_url(args.database_url, args.schema), f"PostgreSQL (schema {args.schema})"
    else:
        url, label = f"sqlite:///{Path(tmp.name) / 'bench.sqlite'}", "SQLite (WAL, temp file)"
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url}, instance_path=str(Path(tmp.name) / "instance"),
                     check_schema=False)
    upgrade(app)
    db = app.extensions["engage.db"]
    rng = random.Random(args.seed)
    start = datetime(2026, 2, 1, tzinfo=timezone.utc)

    with app.app_context():
        pw = hash_password("benchmark only")
        with db.write_session() as session:
            session.execute(User.__table__.insert(), [
                {"email": f"r{n}@bench.library", "display_name": f"Reader {n}", "password_hash": pw, "role": "student",
                 "locale": "en", "is_active": True, "hide_from_boards": False, "public_profile": False,
                 "created_at": start}
                for n in range(args.users)])
            ids = [u for (u,) in session.execute(User.__table__.select().with_only_columns(User.__table__.c.id))]
            for first in range(0, args.rows, 20_000):
                session.execute(PointEntry.__table__.insert(), [
                    {"user_id": rng.choice(ids), "amount": rng.randint(1, 20), "rule": "read", "plugin": "core",
                     "idempotency_key": f"k{n}", "created_at": start + timedelta(minutes=rng.randrange(525_600))}
                    for n in range(first, min(first + 20_000, args.rows))])
            rebuild_totals(session)
        with db.write_session() as session:
            save_term(session, term=TermSpan("2026-autumn", "Autumn 2026", "2026年秋季学期", date(2026, 9, 14),
                                             date(2027, 1, 17)), actor_id=None)
            recount_id = term_recount.start(session, actor_id=None).id

        steps, longest, t0 = 0, 0.0, time.perf_counter()
        while True:
            s0 = time.perf_counter()
            recount = term_recount.advance(db, recount_id=recount_id, seconds=0)  # one chunk per call
            longest = max(longest, time.perf_counter() - s0)
            steps += 1
            if recount.state != "running":
                break
        elapsed = time.perf_counter() - t0
        with db.session() as session:
            problems = check_totals(session)

    print(f"database: {label}")
    print(f"ledger rows: {args.rows:,}  readers: {args.users:,}  chunk: {term_recount.CHUNK_USERS} readers")
    print(f"recount: {elapsed:.2f} s in {steps} steps  ({args.rows / elapsed:,.0f} ledger rows/s)")
    print(f"longest step: {longest * 1000:.0f} ms")
    print(f"totals equal ledger: {'yes' if not problems else 'NO: ' + problems[0]}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
