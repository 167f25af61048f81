"""Benchmark: how many readers would hold a made badge today (``plugins.badgemaker.rules.qualifying``).

Fills core's activity log with ``--rows`` activities of ``--users`` readers over a year (four kinds
of two plugins) and totals for every reader, then times the counts the badge form's live preview
runs, and the first grant's per-reader check (``meets``, what the earning transaction asks):

* activities of one kind (one grouped query);
* activities of any kind between 22:00 and 06:00 library time (one pass over the rows);
* a weekly streak of any activity (one pass over the last two years' rows);
* points reached and activities of a kind together (two counts, intersected).

    python bench/badgemaker_preview.py                                  # SQLite, a temporary file
    python bench/badgemaker_preview.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _pg import fresh_schema_url

KINDS = [("contributions", "submission-approved"), ("feedback", "confirmed"), ("contributions", "liked"),
         ("feedback", "submitted")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="activities (default 200000)")
    parser.add_argument("--users", type=int, default=10_000, help="readers (default 10000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per preview (default 5)")
    parser.add_argument("--database-url", help="PostgreSQL URL; default is a temporary SQLite file")
    parser.add_argument("--schema", default="engage_bench", help="PostgreSQL schema to (re)create")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from core import create_app
    from core.accounts import hash_password
    from core.migrations import upgrade
    from core.models import ActivityEntry, PointTotal, User
    from plugins.badgemaker.rules import Need, Spec, meets, qualifying, scope_of

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
    now = datetime.now(timezone.utc)
    start = now - timedelta(days=365)

    with app.app_context():
        pw = hash_password("benchmark only")
        with db.write_session() as session:
            session.execute(User.__table__.insert(), [
                {"email": f"r{n}@bench.library", "display_name": f"Reader {n}", "password_hash": pw, "role": "student",
                 "locale": "en", "is_active": True, "hide_from_boards": False, "public_profile": False,
                 "created_at": start} for n in range(args.users)])
            ids = [u for (u,) in session.execute(User.__table__.select().with_only_columns(User.__table__.c.id))]
            keen = {i: rng.random() ** 3 for i in ids}
            weights = [keen[i] for i in ids]
            for first in range(0, args.rows, 20_000):
                rows = []
                for n in range(first, min(first + 20_000, args.rows)):
                    plugin, kind = rng.choice(KINDS)
                    rows.append({"user_id": rng.choices(ids, weights)[0], "plugin": plugin, "kind": kind,
                                 "source_ref": f"r{n}", "created_at": start + timedelta(minutes=rng.randrange(525_600))})
                session.execute(ActivityEntry.__table__.insert(), rows)
            session.execute(PointTotal.__table__.insert(), [
                {"user_id": i, "total": int(keen[i] * 2000), "reached_at": start} for i in ids])

        previews = {
            "activities of one kind >= 10": Spec((Need("badgemaker:activities", "feedback/confirmed", 10),)),
            "any activity 22:00-06:00 >= 5": Spec((Need("badgemaker:activities", "*", 5),), hours=(22 * 60, 6 * 60)),
            "weekly streak of any activity >= 4": Spec((Need("badgemaker:streak", "*", 4),)),
            "points >= 500 and 20 of a kind": Spec((Need("badgemaker:points", "", 500),
                                                     Need("badgemaker:activities", "contributions/liked", 20))),
        }
        print(f"{label}: {args.users:,} readers, {args.rows:,} activities")
        print(f"{'preview':40} {'holders':>8} {'median ms':>10} {'max ms':>8}")
        with app.test_request_context("/"), db.session() as session:
            for name, spec in previews.items():
                times, count = [], 0
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    count = len(qualifying(session, spec))
                    times.append((time.perf_counter() - t0) * 1000)
                print(f"{name:40} {count:>8,} {statistics.median(times):>10.1f} {max(times):>8.1f}")
            # What the earning transaction asks for one reader, per made badge it may earn.
            sample = rng.sample(ids, 500)
            for name, spec in previews.items():
                scope = scope_of(session, spec)
                t0 = time.perf_counter()
                for user_id in sample:
                    meets(session, spec, scope, user_id)
                per = (time.perf_counter() - t0) * 1000 / len(sample)
                print(f"one reader's check, {name:28} {per:>8.2f} ms")
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
