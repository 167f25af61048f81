"""Benchmark: leaderboards read from maintained totals, at 1M and 10M ledger rows.

Builds (once; reruns reuse it) a database with ``--users`` users and ``--ledger-rows`` ledger
rows, plus one with ``--small-ledger-rows``, and their all-time and week/month/term totals.
The build is set-up, not what is measured: users and ledger rows are generated in SQL
(a recursive CTE on SQLite, ``generate_series`` on PostgreSQL), the ledger's secondary
indexes are built after the rows are in, and the totals are computed once with
``INSERT … SELECT … GROUP BY`` (period keys from the app's own Calendar, one row per day).

Then it measures the public service functions of ``core.boards`` — the time a page spends
in them, SQL plus SQLAlchemy — for ``--samples`` random users with points, interleaving the
two databases so that load on the machine hits both alike: top-20 + "my rank" (the target),
their parts, "around me", the week board and the user's cohort board. It prints p50/p99,
the ratio of board time at 10M to 1M ledger rows, one naive ledger aggregation for
contrast, and the query plans.

    python bench/leaderboard.py                      # SQLite files under bench/results/
    python bench/leaderboard.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

SQLite databases are kept as bench/results/leaderboard-<users>u-<rows>r-<hidden>h-<inactive>i.sqlite
(gitignored; ``--rebuild`` starts over). On PostgreSQL each size lives in its own schema
(``<--schema>_<rows>``), kept between runs while users, rows and shares match; nothing
else in that database is touched.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _pg import schema_url
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET_SQLITE_P99_MS = 2.0
TARGET_PG_P99_MS = 8.0
TARGET_RATIO = 1.2
RULES = [("visit", 5), ("borrow", 10), ("event", 20), ("review", 15), ("quiz", 8)]
COHORTS = 24
YEAR_SECONDS = 365 * 86400


def _percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    index = max(0, min(len(sorted_values) - 1, round(pct / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def _rule_sql(i: str) -> tuple[str, str]:
    rule = "CASE " + " ".join(f"WHEN {i} % 5 = {n} THEN '{r}'" for n, (r, _) in enumerate(RULES)) + " END"
    amount = "CASE " + " ".join(f"WHEN {i} % 5 = {n} THEN {a}" for n, (_, a) in enumerate(RULES)) + " END"
    return rule, amount


def _day_keys(calendar, ref: datetime) -> list[tuple[str, str, str, str | None]]:
    """(local day, week, month, term) for every local day the ledger can touch."""
    first = calendar.local_date(ref - timedelta(seconds=YEAR_SECONDS)) - timedelta(days=1)
    rows = []
    for n in range((calendar.local_date(ref) - first).days + 2):
        day = first + timedelta(days=n)
        moment = datetime(day.year, day.month, day.day, 12, tzinfo=calendar.tz)
        keys = calendar.keys(moment)
        rows.append((day.isoformat(), keys["week"], keys["month"], keys.get("term")))
    return rows


class Built:
    """One benchmark database: its SQLAlchemy URL, size and the reference moment ("now")."""

    def __init__(self, url: str, rows: int, ref: datetime, seconds: float | None) -> None:
        self.url, self.rows, self.ref, self.build_seconds = url, rows, ref, seconds


# --- SQLite ----------------------------------------------------------------------------

def build_sqlite(path: Path, users: int, rows: int, hidden: float, inactive: float, calendar) -> Built:
    from sqlmodel import SQLModel

    import core.models  # noqa: F401  (the tables)

    if path.exists():
        with sqlite3.connect(path) as conn:
            try:
                ref, = conn.execute("SELECT ref FROM bench_meta WHERE users = ? AND ledger_rows = ?",
                                    (users, rows)).fetchone()
                return Built(f"sqlite:///{path}", rows, datetime.fromisoformat(ref), None)
            except (sqlite3.Error, TypeError):
                pass
        path.unlink()
        for extra in ("-wal", "-shm"):
            Path(str(path) + extra).unlink(missing_ok=True)
    started = time.perf_counter()
    ref = datetime.now(timezone.utc).replace(microsecond=0)
    engine = create_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    offset = int(calendar.tz.utcoffset(ref.replace(tzinfo=None)).total_seconds())
    probe = ref - timedelta(days=200)
    if int(calendar.tz.utcoffset(probe.replace(tzinfo=None)).total_seconds()) != offset:
        raise SystemExit("the SQLite build assumes a time zone without daylight saving time")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-262144")
    conn.execute("PRAGMA temp_store=MEMORY")
    ledger_indexes = [r for r in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'core_point_entry' AND sql IS NOT NULL")]
    rule, amount = _rule_sql("i")
    hide_every, inactive_every = max(1, round(1 / hidden)) if hidden else 0, max(1, round(1 / inactive)) if inactive else 0
    epoch = int(ref.timestamp())

    def step(label, sql, *params):
        t = time.perf_counter()
        conn.execute(sql, params)
        print(f"  {label}: {time.perf_counter() - t:.1f} s", flush=True)

    print(f"building {path.name}: {users:,} users, {rows:,} ledger rows", flush=True)
    conn.execute("BEGIN")
    for name, _sql in ledger_indexes:
        conn.execute(f'DROP INDEX "{name}"')
    step("users", f"""
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
        INSERT INTO core_user (id, email, password_hash, display_name, cohort, role, hide_from_boards,
                               is_active, public_profile, created_at)
        SELECT i, 'reader' || i || '@bench.invalid', 'not-a-hash', 'Reader ' || i,
               'Faculty ' || (abs(random()) % {COHORTS}), 'student',
               {f'i % {hide_every} = 1' if hide_every else '0'}, {f'i % {inactive_every} != 2' if inactive_every else '1'},
               0, '2025-09-01 00:00:00.000000'
        FROM n""", users)
    # Half the entries go to any user, half are skewed toward low ids: a few very active readers.
    step("ledger", f"""
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
        INSERT INTO core_point_entry (id, user_id, amount, rule, plugin, idempotency_key, created_at)
        SELECT i,
               CASE WHEN i % 2 = 0 THEN 1 + abs(random()) % :users
                    ELSE 1 + (abs(random()) % :users) * (abs(random()) % :users) / :users END,
               {amount}, {rule}, 'bench', printf('bench:%012d', i),
               strftime('%Y-%m-%d %H:%M:%S', {epoch} - abs(random()) % {YEAR_SECONDS}, 'unixepoch') || '.000000'
        FROM n""".replace(":users", str(users)), rows)
    for name, sql in ledger_indexes:
        step(f"index {name}", sql)
    conn.execute("CREATE TEMP TABLE bench_days (day TEXT PRIMARY KEY, week TEXT, month TEXT, term TEXT)")
    conn.executemany("INSERT INTO bench_days VALUES (?, ?, ?, ?)", _day_keys(calendar, ref))
    step("all-time totals", """
        INSERT INTO core_point_total (user_id, total, reached_at)
        SELECT user_id, sum(amount), max(created_at) FROM core_point_entry GROUP BY user_id""")
    for period in ("week", "month", "term"):
        step(f"{period} totals", f"""
            INSERT INTO core_period_total (user_id, period, period_key, total, reached_at)
            SELECT e.user_id, '{period}', d.{period}, sum(e.amount), max(e.created_at)
            FROM core_point_entry e JOIN bench_days d ON d.day = date(e.created_at, '+{offset} seconds')
            WHERE d.{period} IS NOT NULL
            GROUP BY e.user_id, d.{period}""")
    conn.execute("CREATE TABLE bench_meta (users INTEGER, ledger_rows INTEGER, ref TEXT)")
    conn.execute("INSERT INTO bench_meta VALUES (?, ?, ?)", (users, rows, ref.isoformat()))
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    seconds = time.perf_counter() - started
    print(f"  built in {seconds:.0f} s ({path.stat().st_size / 2**20:,.0f} MiB)", flush=True)
    return Built(f"sqlite:///{path}", rows, ref, seconds)


# --- PostgreSQL ------------------------------------------------------------------------

def build_pg(url: str, schema: str, users: int, rows: int, hidden: float, inactive: float,
             calendar, rebuild: bool) -> Built:
    from sqlmodel import SQLModel

    import core.models  # noqa: F401

    admin = create_engine(url)
    with admin.begin() as conn:
        if rebuild:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        try:
            with conn.begin_nested():
                found = conn.execute(text(f'SELECT ref FROM "{schema}".bench_meta WHERE users = :u '
                                          'AND ledger_rows = :r AND hidden = :h AND inactive = :i'),
                                     {"u": users, "r": rows, "h": hidden, "i": inactive}).first()
        except Exception:
            found = None
        if found:
            admin.dispose()
            return Built(schema_url(url, schema), rows, datetime.fromisoformat(found[0]), None)
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    started = time.perf_counter()
    ref = datetime.now(timezone.utc).replace(microsecond=0)
    scoped = schema_url(url, schema)
    engine = create_engine(scoped)
    SQLModel.metadata.create_all(engine)
    rule, amount = _rule_sql("i")
    hide_every, inactive_every = max(1, round(1 / hidden)) if hidden else 0, max(1, round(1 / inactive)) if inactive else 0
    print(f"building schema {schema}: {users:,} users, {rows:,} ledger rows", flush=True)
    with engine.connect() as conn:
        conn.execute(text("SET synchronous_commit = off"))
        conn.execute(text("SET maintenance_work_mem = '512MB'"))
        conn.execute(text("SET work_mem = '256MB'"))
        conn.execute(text("SET session_replication_role = replica"))  # no FK trigger per row during the load
        indexes = conn.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = :s AND tablename = 'core_point_entry' "
            "AND indexname NOT LIKE '%pkey' AND indexname NOT LIKE '%key'"), {"s": schema}).all()
        for name, _sql in indexes:
            conn.execute(text(f'DROP INDEX "{schema}"."{name}"'))

        def step(label, sql, **params):
            t = time.perf_counter()
            conn.execute(text(sql), params)
            conn.commit()
            print(f"  {label}: {time.perf_counter() - t:.1f} s", flush=True)

        step("users", f"""
            INSERT INTO core_user (id, email, password_hash, display_name, cohort, role, hide_from_boards,
                                   is_active, public_profile, created_at)
            SELECT i, 'reader' || i || '@bench.invalid', 'not-a-hash', 'Reader ' || i,
                   'Faculty ' || floor(random() * {COHORTS})::int, 'student',
                   {f'i % {hide_every} = 1' if hide_every else 'false'},
                   {f'i % {inactive_every} != 2' if inactive_every else 'true'}, false, '2025-09-01'
            FROM generate_series(1, :users) AS i""", users=users)
        conn.execute(text("SELECT setval(pg_get_serial_sequence('core_user', 'id'), :n)"), {"n": users})
        step("ledger", f"""
            INSERT INTO core_point_entry (id, user_id, amount, rule, plugin, idempotency_key, created_at)
            SELECT i,
                   CASE WHEN i % 2 = 0 THEN 1 + floor(random() * :users)::int
                        ELSE 1 + floor(random() * random() * :users)::int END,
                   {amount}, {rule}, 'bench', 'bench:' || lpad(i::text, 12, '0'),
                   CAST(:ref AS timestamptz) - random() * interval '{YEAR_SECONDS} seconds'
            FROM generate_series(1, :rows) AS i""", users=users, rows=rows, ref=ref)
        conn.execute(text("SELECT setval(pg_get_serial_sequence('core_point_entry', 'id'), :n)"), {"n": rows})
        for name, sql in indexes:
            step(f"index {name}", sql)
        conn.execute(text("CREATE TEMP TABLE bench_days (day date PRIMARY KEY, week text, month text, term text)"))
        conn.execute(text("INSERT INTO bench_days VALUES (CAST(:d AS date), :w, :m, :t)"),
                     [{"d": d, "w": w, "m": m, "t": t} for d, w, m, t in _day_keys(calendar, ref)])
        step("all-time totals", """
            INSERT INTO core_point_total (user_id, total, reached_at)
            SELECT user_id, sum(amount), max(created_at) FROM core_point_entry GROUP BY user_id""")
        for period in ("week", "month", "term"):
            step(f"{period} totals", f"""
                INSERT INTO core_period_total (user_id, period, period_key, total, reached_at)
                SELECT e.user_id, '{period}', d.{period}, sum(e.amount), max(e.created_at)
                FROM core_point_entry e JOIN bench_days d ON d.day = (e.created_at AT TIME ZONE :tz)::date
                WHERE d.{period} IS NOT NULL
                GROUP BY e.user_id, d.{period}""", tz=calendar.tz.key)
        conn.execute(text("CREATE TABLE bench_meta (users integer, ledger_rows bigint, ref text, "
                          "hidden double precision, inactive double precision)"))
        conn.execute(text("INSERT INTO bench_meta VALUES (:u, :r, :ref, :h, :i)"),
                     {"u": users, "r": rows, "ref": ref.isoformat(), "h": hidden, "i": inactive})
        conn.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        t = time.perf_counter()
        conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does in production: stats and a visibility map
        print(f"  vacuum analyze: {time.perf_counter() - t:.1f} s", flush=True)
    engine.dispose()
    seconds = time.perf_counter() - started
    print(f"  built in {seconds:.0f} s", flush=True)
    return Built(scoped, rows, ref, seconds)


def ensure_rank_counts(url: str) -> None:
    """Count the public users per total and per block (core_rank_count) from the totals, as
    `engage rebuild-totals` does; rebuilt on every run, so a database built by an older version
    of this script is measured with today's schema. Set-up, not measured."""
    from sqlmodel import Session

    from core import ranks
    from core.models import RankCount

    engine = create_engine(url)
    RankCount.__table__.drop(engine, checkfirst=True)
    RankCount.__table__.create(engine)
    with Session(engine) as session:
        t = time.perf_counter()
        rows = ranks.rebuild(session)
        session.commit()
        print(f"  rank counts: {rows:,} rows in {time.perf_counter() - t:.1f} s", flush=True)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE core_rank_count"))
    engine.dispose()


# --- measuring --------------------------------------------------------------------------

class Target:
    """An open session on one benchmark database, and the service calls to time on it."""

    def __init__(self, built: Built, calendar) -> None:
        from sqlmodel import Session

        from core.db import make_engine

        self.built = built
        self.engine = make_engine(built.url)  # the app's own engine settings (WAL, busy timeout …)
        self.session = Session(self.engine)
        self.calendar = calendar
        self.times: dict[str, list[float]] = {}

    def cases(self, user_id: int, cohort: str):
        from core import boards

        s, kw = self.session, {"calendar": self.calendar, "at": self.built.ref}
        return {
            "top-20": lambda: boards.top(s, limit=20, **kw),
            "my rank": lambda: boards.my_rank(s, user_id=user_id, **kw),
            "around me (5 + you + 5)": lambda: boards.around_me(s, user_id=user_id, **kw),
            "week: top-20 + my rank": lambda: (boards.top(s, period="week", **kw),
                                               boards.my_rank(s, user_id=user_id, period="week", **kw)),
            "cohort: top-20 + my rank": lambda: (boards.top(s, cohort=cohort, **kw),
                                                 boards.my_rank(s, user_id=user_id, cohort=cohort, **kw)),
        }

    def run(self, user_id: int, cohort: str, record: bool = True) -> None:
        clock = time.perf_counter
        spent = {}
        for name, call in self.cases(user_id, cohort).items():
            t = clock()
            call()
            spent[name] = clock() - t
        spent["top-20 + my rank"] = spent["top-20"] + spent["my rank"]
        if record:
            for name, seconds in spent.items():
                self.times.setdefault(name, []).append(seconds)
        self.session.rollback()  # end the read transaction, as a request would

    def close(self) -> None:
        self.session.close()
        self.engine.dispose()


def sample_users(target: Target, others: list[Target], count: int, rng: random.Random) -> list[tuple[int, str]]:
    """Users with points on every database, with their cohorts."""
    rows = target.session.execute(text(
        "SELECT t.user_id, u.cohort FROM core_point_total t JOIN core_user u ON u.id = t.user_id WHERE t.total > 0")).all()
    target.session.rollback()
    positive = [set(r[0] for r in o.session.execute(text("SELECT user_id FROM core_point_total WHERE total > 0")))
                for o in others]
    for o in others:
        o.session.rollback()
    rows = [r for r in rows if all(r[0] in p for p in positive)]
    return [tuple(r) for r in rng.sample(rows, min(count, len(rows)))]


def ledger_aggregate_seconds(target: Target) -> float:
    """One naive top-20 straight from the ledger, for contrast (what boards must never do)."""
    t = time.perf_counter()
    target.session.execute(text("SELECT user_id, sum(amount) AS s FROM core_point_entry GROUP BY user_id "
                                "ORDER BY s DESC LIMIT 20")).all()
    target.session.rollback()
    return time.perf_counter() - t


def explain(target: Target, user_id: int, cohort: str) -> list[str]:
    """The plans of the board statements, with the parameters of one real call."""
    from core import boards
    from core.models import RANK_BLOCK

    session = target.session
    engine = target.engine
    me = boards.my_rank(session, user_id=user_id, calendar=target.calendar, at=target.built.ref)
    from core.models import PointTotal

    reached = session.get(PointTotal, user_id).reached_at
    key = target.calendar.keys(target.built.ref)["week"]
    params = {"period": "week", "period_key": key, "limit": 20, "value": me.total, "cohort": cohort,
              "rank_period": "all", "rank_key": "", "block": me.total // RANK_BLOCK,
              "block_end": (me.total // RANK_BLOCK + 1) * RANK_BLOCK,
              "user_id": user_id, "reached_at": reached, "above": 5, "below": 5}
    statements = {
        "top-20 (all time)": boards._top_statement(False, None),
        "top-20 (week)": boards._top_statement(True, None),
        "top-20 (cohort, big: rank index)": boards._top_statement(False, "scan"),
        "top-20 (cohort, small: cohort index)": boards._top_statement(False, "index"),
        "my rank: public users above (all time)": boards._RANK_ABOVE,
        "my rank: count above (cohort)": boards._count_statement(False),
        "my row": boards._me_statement(False),
        "around me: rows above": boards._neighbour_statements(False, None)[0],
        "around me: rows below": boards._neighbour_statements(False, None)[1],
        "around me: size of a cut-off tie": boards._RANK_AT,
    }
    lines = []
    conn = session.connection()
    for name, statement in statements.items():
        compiled = statement.compile(dialect=engine.dialect)
        values = compiled.construct_params({k: v for k, v in params.items() if k in compiled.params})
        lines.append(f"-- {name}")
        processed = {}
        for name, value in values.items():
            process = compiled.binds[name].type.bind_processor(engine.dialect)
            processed[name] = process(value) if process else value
        if engine.dialect.name == "sqlite":
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled),
                                        tuple(processed[k] for k in compiled.positiontup)).all()
            lines += [f"   {row[3]}" for row in plan]
        else:
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + str(compiled),
                                        processed).all()
            lines += [f"   {row[0]}" for row in plan]
    session.rollback()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000, help="users (default 100000)")
    parser.add_argument("--ledger-rows", type=int, default=10_000_000, help="ledger rows of the big database (default 10000000)")
    parser.add_argument("--small-ledger-rows", type=int, default=1_000_000,
                        help="ledger rows of the database it is compared with (default 1000000; 0 = none)")
    parser.add_argument("--samples", type=int, default=2_000, help="random users measured (default 2000)")
    parser.add_argument("--hidden", type=float, default=0.02, help="share of users who opted out of boards (default 0.02)")
    parser.add_argument("--inactive", type=float, default=0.005, help="share of deactivated users (default 0.005)")
    parser.add_argument("--database-url", help="PostgreSQL URL; default is SQLite files under bench/results/")
    parser.add_argument("--schema", default="engage_bench_boards", help="PostgreSQL schema prefix (default engage_bench_boards)")
    parser.add_argument("--rebuild", action="store_true", help="build the databases again even when kept ones fit")
    parser.add_argument("--ledger-aggregate", choices=("small", "all", "none"), default="small",
                        help="time one naive top-20 from the ledger on the small database (default), all, or none")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from core.periods import Calendar

    calendar = Calendar("Asia/Shanghai")  # the default ENGAGE_TIMEZONE, default terms
    sizes = sorted({args.ledger_rows, *([args.small_ledger_rows] if args.small_ledger_rows else [])})
    pg = bool(args.database_url)
    if pg and not args.database_url.startswith("postgresql"):
        parser.error("--database-url must be a PostgreSQL URL (SQLite is the default)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    built = []
    for rows in sizes:
        if pg:
            built.append(build_pg(args.database_url, f"{args.schema}_{rows}", args.users, rows, args.hidden,
                                  args.inactive, calendar, args.rebuild))
        else:
            path = RESULTS / f"leaderboard-{args.users}u-{rows}r-{args.hidden:g}h-{args.inactive:g}i.sqlite"
            if args.rebuild and path.exists():
                path.unlink()
            built.append(build_sqlite(path, args.users, rows, args.hidden, args.inactive, calendar))

    for b in built:
        ensure_rank_counts(b.url)
    targets = [Target(b, calendar) for b in built]
    rng = random.Random(args.seed)
    users = sample_users(targets[-1], targets[:-1], args.samples, rng)
    for user_id, cohort in users[:200]:  # warm-up: caches and statement compilation
        for target in targets:
            target.run(user_id, cohort, record=False)
    for n, (user_id, cohort) in enumerate(users):
        for target in (targets if n % 2 else targets[::-1]):  # interleaved, alternating order
            target.run(user_id, cohort)
    aggregated = {"none": [], "small": targets[:1], "all": targets}[args.ledger_aggregate]
    aggregates = {t.built.rows: ledger_aggregate_seconds(t) for t in aggregated}
    plans = explain(targets[-1], *users[0])
    for target in targets:
        target.close()

    label = "PostgreSQL" if pg else "SQLite (WAL, the app's engine settings)"
    target_ms = TARGET_PG_P99_MS if pg else TARGET_SQLITE_P99_MS
    print()
    print(f"leaderboards from maintained totals: {label}, {args.users:,} users "
          f"({args.hidden:.1%} opted out, {args.inactive:.1%} deactivated), {len(users):,} random users with points")
    print("times are core.boards service calls (SQL + SQLAlchemy), in ms")
    head = f"{'':<28}" + "".join(f"{f'{t.built.rows:,} ledger rows':>24}" for t in targets)
    print(head)
    print(f"{'':<28}" + "".join(f"{'p50':>12}{'p99':>12}" for _ in targets))
    names = ["top-20 + my rank", "top-20", "my rank", "around me (5 + you + 5)", "week: top-20 + my rank",
             "cohort: top-20 + my rank"]
    for name in names:
        cells = ""
        for t in targets:
            values = sorted(t.times[name])
            cells += f"{_percentile(values, 50) * 1000:>12.3f}{_percentile(values, 99) * 1000:>12.3f}"
        print(f"{name:<28}{cells}")
    main_times = [sorted(t.times["top-20 + my rank"]) for t in targets]
    p99 = _percentile(main_times[-1], 99) * 1000
    print()
    print(f"target: top-20 + my rank p99 <= {target_ms:g} ms at {targets[-1].built.rows:,} ledger rows: "
          f"{p99:.3f} ms -> {'met' if p99 <= target_ms else 'NOT met'}")
    ok = p99 <= target_ms
    if len(targets) > 1:
        ratio50 = _percentile(main_times[-1], 50) / _percentile(main_times[0], 50)
        ratio99 = _percentile(main_times[-1], 99) / _percentile(main_times[0], 99)
        print(f"ratio {targets[-1].built.rows:,} / {targets[0].built.rows:,} ledger rows, top-20 + my rank: "
              f"p50 {ratio50:.2f}x, p99 {ratio99:.2f}x (target <= {TARGET_RATIO}x) -> "
              f"{'met' if ratio50 <= TARGET_RATIO else 'NOT met'}")
        ok = ok and ratio50 <= TARGET_RATIO
    for t in targets:
        if t.built.build_seconds is not None:
            print(f"built the {t.built.rows:,}-row database in {t.built.build_seconds:.0f} s (set-up, not measured)")
    for rows, seconds in aggregates.items():
        print(f"for contrast, one top-20 aggregated from the ledger at {rows:,} rows: {seconds * 1000:,.0f} ms")
    print()
    print(f"query plans at {targets[-1].built.rows:,} ledger rows:")
    print("\n".join(plans))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
