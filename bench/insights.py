"""Benchmark: the relationship dashboard (plugins/insights) at scale, and its rollups' cost per event.

1. A library of ``--readers`` readers (12 faculties), ``--activity`` rows of activity history over the
   last year and ``--views`` page views through tagged links (200 campaigns of 45 days each, by QR code
   and by shared address), written with bulk SQL;
   the rollups are then filled from that history with set-based SQL (as the listeners would have
   kept them, except that the new/returning split is not derived).
2. Each dashboard panel is built ``--repeats`` times; its database time (the time spent in the
   driver's execute, summed per build) and its whole build time are reported as p50/p99, and the whole page
   (``GET /insights/`` as a librarian, charts and template included) as p50/p99.
3. The rollups' cost per event: ``core.points.award`` one per transaction, with the insights plugin
   switched on and off, in a fresh database; the difference is what the rollup adds to an award
   (one appended row; the counting is the ``insights:fold`` job's, timed separately per event).

    python bench/insights.py                       # SQLite, the full size (100k readers, 10M rows, 2M views)
    python bench/insights.py --scale 0.1           # a tenth of each
    python bench/insights.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

On PostgreSQL it works in its own schema (``--schema``, default ``engage_bench_insights``), dropped
and recreated at the start of every run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _pg import fresh_schema_url
from sqlalchemy import event, text

PANEL_TARGET_MS = 50
PAGE_TARGET_MS = 300
FACULTIES = ["History", "Medicine", "Law", "Physics", "Chemistry", "Business", "Liberal Arts", "Astronomy",
             "Computer Science", "Foreign Studies", "Engineering", "Music"]
PLUGINS = ["brand_stories", "contributions", "feedback", "staff_scores"]
KINDS = ["voted", "submitted", "confirmed"]


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def build_app(url: str, tmp: str):
    from core import create_app
    from core.migrations import upgrade

    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False, "JOBS_IMMEDIATE": True},
                     instance_path=str(Path(tmp) / "instance"), check_schema=False)
    upgrade(app)
    return app


def generate(app, *, readers: int, activity: int, views: int, pg: bool) -> dict:
    """Fill the library with bulk SQL; returns how long each step took."""
    from core.accounts import hash_password
    from core.terms import current_calendar
    from core.models import utcnow
    from plugins.insights.rollups import period_keys

    db = app.extensions["engage.db"]
    steps = {}
    with app.app_context():
        calendar = current_calendar()
        today = calendar.local_date(utcnow())
        days = [today - timedelta(days=n) for n in range(366)]
        hashed = hash_password("benchmark only")
        t = time.perf_counter()
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO core_user (email, password_hash, display_name, cohort, role, hide_from_boards, "
                              "public_profile, is_active, created_at, session_generation) VALUES (:e, :h, :n, :c, "
                              "'student', false, false, true, :at, 0)"),
                         [{"e": f"r{i}@bench.library", "h": hashed, "n": f"Reader {i}", "c": FACULTIES[i % 12],
                           "at": utcnow()} for i in range(readers)])
            conn.execute(text("INSERT INTO core_user (email, password_hash, display_name, role, hide_from_boards, "
                              "public_profile, is_active, created_at, session_generation) VALUES ('lib@bench.library', "
                              ":h, 'Librarian', 'librarian', false, false, true, :at, 0)"), {"h": hashed, "at": utcnow()})
        steps["readers"] = time.perf_counter() - t

        t = time.perf_counter()
        with db.engine.begin() as conn:
            first = conn.execute(text("SELECT min(id) FROM core_user")).scalar_one()
            start = (today - timedelta(days=365)).isoformat()
            plugin_case = "CASE i % 4 " + " ".join(f"WHEN {n} THEN '{p}'" for n, p in enumerate(PLUGINS)) + " END"
            kind_case = "CASE (i / 4) % 3 " + " ".join(f"WHEN {n} THEN '{k}'" for n, k in enumerate(KINDS)) + " END"
            if pg:
                conn.execute(text(f"INSERT INTO core_activity (user_id, plugin, kind, source_ref, created_at) "
                                  f"SELECT {first} + floor(random() * {readers})::int, {plugin_case}, {kind_case}, "
                                  f"i::text, timestamptz '{start} 00:00+00' + random() * interval '365 days' "
                                  f"FROM generate_series(1, {activity}) AS s(i)"))
            else:
                conn.execute(text(f"INSERT INTO core_activity (user_id, plugin, kind, source_ref, created_at) "
                                  f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {activity}) "
                                  f"SELECT {first} + abs(random()) % {readers}, {plugin_case}, {kind_case}, i, "
                                  f"datetime('{start}', '+' || (abs(random()) % 31536000) || ' seconds') FROM n"))
        steps["activity"] = time.perf_counter() - t

        t = time.perf_counter()
        day_of = ("to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')" if pg else "substr(created_at, 1, 10)")
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TEMPORARY TABLE bench_days (day varchar(10) PRIMARY KEY, week varchar(24), "
                              "month varchar(24), term varchar(24))"))
            conn.execute(text("INSERT INTO bench_days VALUES (:d, :w, :m, :t)"),
                         [dict(zip("dwmt", (k["day"], k["week"], k["month"], k.get("term", "none"))))
                          for k in (period_keys(calendar, day) for day in days)])
            conn.execute(text(f"CREATE TEMPORARY TABLE bench_ud AS SELECT DISTINCT user_id, plugin, {day_of} AS day "
                              f"FROM core_activity"))
            recent = (today - timedelta(days=7)).isoformat()
            for period in ("week", "month", "term"):
                for plugin in ("''", "u.plugin"):
                    conn.execute(text(f"INSERT INTO insights_touch (period, period_key, plugin, user_id) SELECT DISTINCT "
                                      f"'{period}', d.{period}, {plugin}, u.user_id FROM bench_ud u "
                                      f"JOIN bench_days d ON d.day = u.day"))
            for plugin in ("''", "plugin"):
                conn.execute(text(f"INSERT INTO insights_touch (period, period_key, plugin, user_id) SELECT DISTINCT "
                                  f"'day', day, {plugin}, user_id FROM bench_ud WHERE day >= '{recent}'"))
            conn.execute(text("INSERT INTO insights_active (period, period_key, plugin, faculty, readers, new_readers, "
                              "retained) SELECT period, period_key, plugin, '', count(*), count(*) / 10, count(*) / 2 "
                              "FROM insights_touch GROUP BY period, period_key, plugin"))
            conn.execute(text("INSERT INTO insights_active (period, period_key, plugin, faculty, readers, new_readers, "
                              "retained) SELECT 'day', day, '', '', count(DISTINCT user_id), 0, 0 FROM bench_ud "
                              f"WHERE day < '{recent}' GROUP BY day"))
            conn.execute(text("INSERT INTO insights_active (period, period_key, plugin, faculty, readers, new_readers, "
                              "retained) SELECT t.period, t.period_key, '', u.cohort, count(*), count(*) / 10, "
                              "count(*) / 2 FROM insights_touch t JOIN core_user u ON u.id = t.user_id "
                              "WHERE t.plugin = '' AND t.period <> 'day' GROUP BY t.period, t.period_key, u.cohort"))
            conn.execute(text("INSERT INTO insights_reader (user_id, first_day, first_week, returned_day, last_day) "
                              "SELECT f.user_id, CAST(f.first AS date), d.week, NULL, CAST(f.last AS date) FROM "
                              "(SELECT user_id, min(day) AS first, max(day) AS last FROM bench_ud GROUP BY user_id) f "
                              "JOIN bench_days d ON d.day = f.first" if pg else
                              "INSERT INTO insights_reader (user_id, first_day, first_week, returned_day, last_day) "
                              "SELECT f.user_id, f.first, d.week, NULL, f.last FROM (SELECT user_id, min(day) AS first, "
                              "max(day) AS last FROM bench_ud GROUP BY user_id) f JOIN bench_days d ON d.day = f.first"))
            conn.execute(text("INSERT INTO insights_cohort (cohort, week, readers) SELECT r.first_week, t.period_key, "
                              "count(*) FROM insights_touch t JOIN insights_reader r ON r.user_id = t.user_id "
                              "WHERE t.period = 'week' AND t.plugin = '' GROUP BY r.first_week, t.period_key"))
            conn.execute(text(f"INSERT INTO insights_kind (term, plugin, kind, readers, events) SELECT d.term, a.plugin, "
                              f"a.kind, count(DISTINCT a.user_id), count(*) FROM core_activity a JOIN bench_days d "
                              f"ON d.day = {day_of.replace('created_at', 'a.created_at')} GROUP BY d.term, a.plugin, a.kind"))
            conn.execute(text("INSERT INTO insights_counter (name, value) SELECT 'activated', count(*) FROM insights_reader"))
            conn.execute(text("INSERT INTO insights_counter (name, value) SELECT 'returned', count(*) * 6 / 10 "
                              "FROM insights_reader"))
        steps["rollups"] = time.perf_counter() - t

        t = time.perf_counter()
        rng = random.Random(1)
        campaigns, running = 200, 45  # each campaign (a poll, a challenge) runs for 45 days within the year
        rows_per = views / (campaigns * running * 2)
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO insights_campaign (tag, created_at) VALUES (:tag, :at)"),
                         [{"tag": f"{PLUGINS[c % 4]}:item:{c}", "at": utcnow()} for c in range(campaigns)])
            ids = [row[0] for row in conn.execute(text("SELECT id FROM insights_campaign ORDER BY id"))]
            batch, total = [], 0
            for cid in ids:
                opens = rng.randrange(0, 365 - running)
                for day in days[opens:opens + running]:
                    for medium in ("qr", "share"):
                        seen = max(0, int(rng.expovariate(1 / max(rows_per, 0.01))))
                        total += seen
                        batch.append({"c": cid, "d": day, "m": medium, "v": seen, "u": seen * 7 // 10,
                                      "x": seen // 20})
            conn.execute(text("INSERT INTO insights_campaign_day (campaign_id, day, medium, views, visitors, "
                              "conversions) VALUES (:c, :d, :m, :v, :u, :x)"), batch)
        steps["views"] = time.perf_counter() - t
        steps["views_total"] = total
        with db.engine.begin() as conn:
            if pg:
                conn.execute(text("ANALYZE"))
            else:
                conn.execute(text("ANALYZE"))
    return steps


def measure_panels(app, repeats: int) -> dict[str, list[float]]:
    """Each panel's database time (ms) per build, ``repeats`` builds each."""
    from core.models import utcnow
    from core.terms import current_calendar
    from plugins.insights import extra_panels, panels
    from plugins.insights.views import current_term_key

    db = app.extensions["engage.db"]
    spent = [0.0]

    @event.listens_for(db.engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_t"] = time.perf_counter()

    @event.listens_for(db.engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        spent[0] += time.perf_counter() - conn.info.pop("bench_t", time.perf_counter())

    results: dict[str, list[float]] = {}
    with app.test_request_context("/insights/"):
        calendar = current_calendar()
        today = calendar.local_date(utcnow())
        term = current_term_key(calendar, today)
        builders = {
            "active readers, 12 weeks": lambda s: panels.reach(s, calendar, period="week",
                                                               start=today - timedelta(weeks=11), end=today),
            "active readers, 92 days": lambda s: panels.reach(s, calendar, period="day",
                                                              start=today - timedelta(days=91), end=today),
            "active readers, 12 months, one plugin": lambda s: panels.reach(
                s, calendar, period="month", start=today - timedelta(days=365), end=today, plugin="brand_stories"),
            "funnel": lambda s: panels.funnel(s),
            "readers per plugin (term)": lambda s: panels.plugins(s, term=term),
            "participation per activity (term)": lambda s: panels.activities(s, term=term),
            "faculty uptake (term)": lambda s: panels.faculties(s, term=term),
            "retention triangle (8 weeks)": lambda s: panels.cohorts(s, today=today),
            "term-on-term retention, lapsed": lambda s: panels.term_retention(s, calendar, term=term),
            "campaign reach (12 weeks)": lambda s: extra_panels.campaigns_panel(
                s, start=today - timedelta(weeks=12), end=today),
            "satisfaction (4 terms)": lambda s: extra_panels.satisfaction_panel(s, calendar, today=today),
        }
        for name, build in builders.items():
            times, walls = [], []
            for _ in range(repeats):
                with db.session() as session:
                    spent[0] = 0.0
                    started = time.perf_counter()
                    build(session)
                    walls.append((time.perf_counter() - started) * 1000)
                    times.append(spent[0] * 1000)
            results[name] = (times, walls)
    event.remove(db.engine, "before_cursor_execute", _before)
    event.remove(db.engine, "after_cursor_execute", _after)
    return results


def measure_page(app, repeats: int) -> list[float]:
    client = app.test_client()
    answer = client.post("/auth/login", data={"email": "lib@bench.library", "password": "benchmark only"})
    assert answer.status_code == 302, "the librarian could not sign in"
    assert client.get("/insights/").status_code == 200
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        answer = client.get("/insights/")
        times.append((time.perf_counter() - t) * 1000)
        assert answer.status_code == 200
    return times


def measure_rollup_cost(url_for_fresh, tmp: str, awards: int, users: int) -> dict:
    """Awards, one per transaction, with the insights plugin on and off (a fresh database each):
    ``first`` pays readers not yet counted today (each appends a pending event), ``again`` pays
    readers the fold job has already counted today (a read of the day's set, nothing written).
    ``fold``: the job's time per event, outside the awards' transactions."""
    from core.accounts import create_user, hash_password
    from core.plugins import set_enabled
    from core.points import award
    from plugins.insights.rollups import fold_all

    out: dict[str, list[float]] = {}

    def timed(db, ids, count, tag):
        rng = random.Random(2)
        t = time.perf_counter()
        for n in range(count):
            with db.write_session() as session:
                award(session, user_id=ids[n] if count <= len(ids) else rng.choice(ids), amount=5, rule="visit",
                      plugin="bench", idempotency_key=f"{tag}{n}")
        return (time.perf_counter() - t) / count * 1e6

    for state in ("off", "on", "off", "on"):  # alternate, so a warming machine favours neither
        app = build_app(url_for_fresh(), tmp)
        db = app.extensions["engage.db"]
        with app.app_context():
            pw = hash_password("x")
            with db.write_session() as session:
                ids = [create_user(session, email=f"r{i}@c.library", password="", display_name=f"R{i}",
                                   password_hash=pw).id for i in range(2 * users)]
                set_enabled(session, name="insights", enabled=state == "on", actor_id=None)
            app.extensions["engage.plugins"].refresh(db, force=True)
            counted, fresh = ids[:users], ids[users:]
            timed(db, counted, users, "w")  # warm-up: every "counted" reader earns once…
            fold_all(db)  # …and the job counts them
            out.setdefault(f"again_{state}", []).append(timed(db, counted, awards, "a"))
            out.setdefault(f"first_{state}", []).append(timed(db, fresh, users, "f"))
            if state == "on":
                t = time.perf_counter()
                folded = fold_all(db)
                out.setdefault("fold", []).append((time.perf_counter() - t) / max(folded, 1) * 1e6)
        db.dispose()
    return {key: min(values) for key, values in out.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=100_000)
    parser.add_argument("--activity", type=int, default=10_000_000)
    parser.add_argument("--views", type=int, default=2_000_000)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply readers, activity and views (e.g. 0.1)")
    parser.add_argument("--repeats", type=int, default=100, help="builds per panel (default 100)")
    parser.add_argument("--page-repeats", type=int, default=30)
    parser.add_argument("--awards", type=int, default=3_000, help="awards per state for the rollup cost (default 3000)")
    parser.add_argument("--skip-cost", action="store_true", help="leave out the rollup-cost measurement")
    parser.add_argument("--database-url", help="PostgreSQL URL; default is a temporary SQLite file")
    parser.add_argument("--schema", default="engage_bench_insights")
    args = parser.parse_args(argv)
    readers, activity, views = (int(args.readers * args.scale), int(args.activity * args.scale),
                                int(args.views * args.scale))

    tmp = tempfile.TemporaryDirectory(prefix="engage-bench-insights-")
    pg = bool(args.database_url)
    if pg:
        if not args.database_url.startswith("postgresql"):
            parser.error("--database-url must be a PostgreSQL URL (SQLite is the default)")

        def fresh():
            return fresh_schema_url(args.database_url, args.schema)
        label = f"PostgreSQL (schema {args.schema})"
    else:
        counter = iter(range(1000))

        def fresh():
            return f"sqlite:///{Path(tmp.name) / f'bench{next(counter)}.sqlite'}"
        label = "SQLite (WAL, temp file)"

    app = build_app(fresh(), tmp.name)
    print(f"{label}: {readers:,} readers, {activity:,} activity rows, {views:,} page views (generating…)", flush=True)
    steps = generate(app, readers=readers, activity=activity, views=views, pg=pg)
    print("generated in " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items() if k != "views_total")
          + f" ({steps['views_total']:,} views in campaign days)")
    panel_times = measure_panels(app, args.repeats)
    page_times = measure_page(app, args.page_repeats)
    with app.extensions["engage.db"].engine.connect() as conn:
        counts = {name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
                  for name in ("core_activity", "insights_touch", "insights_active", "insights_campaign_day")}
    app.extensions["engage.db"].dispose()

    print()
    print("rows: " + ", ".join(f"{name} {n:,}" for name, n in counts.items()))
    header = (f"{'panel':<42} {'execute p50':>11} {'execute p99':>11} {'build p50':>9} {'build p99':>9}  (ms)")
    print(header)
    print("-" * len(header))
    worst = 0.0
    for name, (times, walls) in panel_times.items():
        worst = max(worst, pct(walls, 0.99))
        print(f"{name:<42} {statistics.median(times):>11.2f} {pct(times, 0.99):>11.2f} "
              f"{statistics.median(walls):>9.2f} {pct(walls, 0.99):>9.2f}")
    print("execute: time inside the driver's execute (SQLite streams rows after it, so this undercounts there);")
    print("build: the whole panel (queries, fetching, Python; charts cached after the first build), an upper bound")
    print(f"{'whole page GET /insights/ (wall time)':<42} {statistics.median(page_times):>11.1f} "
          f"{pct(page_times, 0.99):>11.1f}")
    if not pg:
        print(f"target: every panel p99 <= {PANEL_TARGET_MS} ms (judged on build time) -> "
              f"{'met' if worst <= PANEL_TARGET_MS else 'NOT met'}")
    print(f"target: whole page p99 <= {PAGE_TARGET_MS} ms -> "
          f"{'met' if pct(page_times, 0.99) <= PAGE_TARGET_MS else 'NOT met'}")

    if not args.skip_cost:
        cost = measure_rollup_cost(fresh, tmp.name, args.awards, users=1000)
        print()
        print("rollup cost per award (one per transaction, insights off -> on, best of two runs):")
        worst = 0.0
        for key, what in (("first", "a reader's first award of the day (1000 readers)"),
                          ("again", f"a reader counted today ({args.awards} awards)")):
            off, on = cost[f"{key}_off"], cost[f"{key}_on"]
            extra = (on - off) / off * 100
            worst = max(worst, extra)
            print(f"  {what}: {off:.0f} us -> {on:.0f} us, {extra:+.1f} %")
        print(f"  the fold job's work, outside the award's transaction: {cost['fold']:.1f} us per event")
        print(f"target: rollup cost within 10 % of the award path -> {'met' if worst <= 10 else 'NOT met'}")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
