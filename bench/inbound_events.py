"""Benchmark: events from the library's systems through the API over real HTTP, and a replay.

Builds a fresh database (SQLite under bench/results/, or a schema of its own on PostgreSQL with
``--pg``) with ``--readers`` readers (numbers ``B0…``), an API key holding ``inbound:write`` and two
rules (loans pay 2 points; gate entries 22:00–06:00 pay 3, once a day per reader), starts gunicorn
with ``--workers`` workers on loopback and has ``--clients`` threads POST
``/api/v1/inbound/events`` with batches of ``--batch`` events (loans and gate entries over the last
30 days, 2% of numbers unknown) until ``--events`` are sent. Then it sends the first batch again
(every event a duplicate, nothing paid) and checks the database: events stored = events sent,
one ledger entry per payment, and the totals check agrees with the ledger.

With ``--replay N`` it then bulk-inserts N stored events of a type no rule pays yet, switches a
rule on for it and times the replay (the job's own code, in this process), then times the same
replay again (everything already paid: it pays nothing).

    python bench/inbound_events.py [--events 50000] [--batch 500] [--readers 5000] [--workers 2] [--clients 4]
        [--pg] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--replay 1000000]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

from _pg import fresh_schema_url  # noqa: E402  (bench/ is the script's own folder)
from _serve import gunicorn, p99, send_all  # noqa: E402

import http.client  # noqa: E402
import json  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def build(database_url: str, instance: Path, readers: int) -> str:
    """Readers, a key and two rules; returns the key's token."""
    from sqlalchemy import insert

    from core import create_app
    from core.accounts import hash_password
    from core.api.keys import create_key
    from core.migrations import upgrade
    from core.models import Role, User, utcnow
    from plugins.inbound.models import InboundRule

    app = create_app({"SECRET_KEY": "bench-inbound", "DATABASE_URL": database_url}, instance_path=str(instance),
                     check_schema=False)
    upgrade(app)
    db = app.extensions["engage.db"]
    shared, now = hash_password("bench-inbound-2026"), utcnow()
    with app.test_request_context(), db.write_session() as session:
        session.execute(insert(User), [{"email": f"reader{i}@bench.library", "password_hash": shared,
                                        "display_name": f"Reader {i}", "member_number": f"B{i}",
                                        "role": Role.student.value, "created_at": now} for i in range(readers)])
        token = create_key(session, name="Benchmark", scopes=["inbound:write"], actor_id=None,
                           rate_limit="100000 per minute").token
        session.add(InboundRule(name="Loans", kind="loan", points=2, active=True))
        session.add(InboundRule(name="Midnight owl", kind="gate-entry", points=3, active=True,
                                window_start=22 * 60, window_end=6 * 60, day_count=1))
    db.dispose()
    return token


def post(port: int, token: str, body: bytes) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request("POST", "/api/v1/inbound/events", body=body,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def batches(total: int, size: int, readers: int, first: int = 0) -> list[bytes]:
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    out = []
    for start in range(first, first + total, size):
        rng = random.Random(start)
        events = []
        for n in range(start, min(first + total, start + size)):
            number = f"B{rng.randrange(readers)}" if rng.random() > 0.02 else f"UNKNOWN{rng.randrange(500)}"
            when = now - timedelta(minutes=rng.randrange(30 * 24 * 60))
            events.append({"source_id": f"bench-{n}", "type": "loan" if n % 3 else "gate-entry",
                           "reader": number, "occurred_at": when.isoformat()})
        out.append(json.dumps({"events": events}).encode())
    return out


def burst(opts, url: str, instance: Path, token: str) -> bool:
    env = {**os.environ, "ENGAGE_INSTANCE_PATH": str(instance), "ENGAGE_SECRET_KEY": "bench-inbound",
           "ENGAGE_DATABASE_URL": url}
    with gunicorn(env, workers=opts.workers, timeout=300, quiet=True) as port:
        ok = True
        for round_ in range(opts.rounds):
            ok = _round(opts, port, token, round_) and ok
        return ok


def _round(opts, port: int, token: str, round_: int) -> bool:
    work = batches(opts.events, opts.batch, opts.readers, first=round_ * opts.events)
    print(f"  round {round_ + 1} ({'readers new to points: their first badges are granted' if round_ == 0 else 'the same readers again'}): "
          f"gunicorn {opts.workers} workers; {opts.events} events in batches of {opts.batch}, "
          f"{opts.clients} clients …", flush=True)
    wall, latencies, replies = send_all(work, lambda body: post(port, token, body), opts.clients)
    answers = [answer for status, answer in replies if status == 200]
    failures = [(status, answer) for status, answer in replies if status != 200]
    print(f"  {opts.events / wall:,.0f} events/s ({wall:.2f} s) with their points and totals; per batch p50 "
          f"{statistics.median(latencies) * 1000:.0f} ms, p99 {p99(latencies) * 1000:.0f} ms;"
          f" {len(failures)} failed batches {failures[:1]}")
    sums = {k: sum(a[k] for a in answers) for k in ("stored", "unmatched", "duplicate", "rejected", "points")}
    print(f"  answers: {sums}")
    status, again = post(port, token, work[0])
    duplicates = status == 200 and again["points"] == 0 and again["duplicate"] == len(again["results"])
    print(f"  the first batch sent again: {'every event a duplicate, nothing paid' if duplicates else 'NOT duplicates'}")
    return duplicates and not failures and sums["stored"] + sums["unmatched"] == opts.events


def check(url: str, instance: Path, events: int) -> bool:
    from sqlalchemy import func, select

    from core import create_app
    from core.models import PointEntry
    from core.points import check_totals
    from plugins.inbound.models import InboundEvent, InboundPayment

    app = create_app({"SECRET_KEY": "bench-inbound", "DATABASE_URL": url}, instance_path=str(instance))
    with app.test_request_context():
        session = app.extensions["engage.db"].session()
        stored = session.execute(select(func.count()).select_from(InboundEvent)).scalar_one()
        entries = session.execute(select(func.count()).select_from(PointEntry)
                                  .where(PointEntry.plugin == "inbound")).scalar_one()
        payments = session.execute(select(func.count()).select_from(InboundPayment)).scalar_one()
        problems = check_totals(session)
        session.close()
    app.extensions["engage.db"].dispose()
    print(f"  events stored {stored} (sent {events}); payments {payments}, ledger entries {entries}; "
          f"totals check: {'agrees' if not problems else problems[:3]}")
    return stored >= events and payments == entries and not problems


def replay_bench(url: str, instance: Path, count: int, readers: int) -> bool:
    """Bulk-insert ``count`` stored events, switch a rule on, time its replay (twice)."""
    from datetime import datetime, timezone

    from sqlalchemy import func, insert, select

    from core import create_app
    from core.models import PointEntry
    from plugins.inbound import replay
    from plugins.inbound.events import local_fields
    from plugins.inbound.models import InboundEvent, InboundReplay, InboundRule

    app = create_app({"SECRET_KEY": "bench-inbound", "DATABASE_URL": url, "JOBS_IMMEDIATE": False},
                     instance_path=str(instance))
    db = app.extensions["engage.db"]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with app.test_request_context():
        from core.points import current_calendar
        from core.models import User

        calendar = current_calendar()
        with db.session() as session:
            ids = dict(session.execute(select(User.member_number, User.id)).all())
        started = time.perf_counter()
        rng = random.Random(7)
        for start in range(0, count, 20_000):
            rows = []
            for n in range(start, min(count, start + 20_000)):
                number = f"B{rng.randrange(readers)}"
                when = now - timedelta(seconds=rng.randrange(90 * 24 * 3600))
                rows.append({"source_id": f"replay-{n}", "kind": "e-resource-session", "reader_number": number,
                             "user_id": ids.get(number), "occurred_at": when, "received_at": now,
                             "origin": "bench", **local_fields(when, calendar.tz)})
            with db.write_session() as session:
                session.execute(insert(InboundEvent), rows)
        print(f"  set up: {count:,} stored events bulk-inserted in {time.perf_counter() - started:.1f} s", flush=True)
        with db.write_session() as session:
            rule = InboundRule(name="E-resources", kind="e-resource-session", points=1, active=True, day_count=3)
            session.add(rule)
            session.flush()
            session.add(InboundReplay(rule_id=rule.id, total=count))
        started = time.perf_counter()
        paid = replay.run()
        took = time.perf_counter() - started
        print(f"  replay after switching a rule on: {count:,} events in {took:.1f} s ({count / took:,.0f} events/s), "
              f"{paid:,} paid (capped at 3 a day per reader)", flush=True)
        with db.write_session() as session:
            rule_id = session.execute(select(InboundRule.id).where(InboundRule.kind == "e-resource-session")).scalar()
            session.add(InboundReplay(rule_id=rule_id, total=count))
        started = time.perf_counter()
        again = replay.run()
        took = time.perf_counter() - started
        print(f"  the same replay again: {took:.1f} s, {again} paid", flush=True)
        with db.session() as session:
            entries = session.execute(select(func.count()).select_from(PointEntry)
                                      .where(PointEntry.source_ref.like("inbound:%"))).scalar_one()
    db.dispose()
    return again == 0 and entries >= paid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--readers", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="bursts of --events each (the first meets new readers)")
    parser.add_argument("--clients", type=int, default=4, help="client threads sending batches")
    parser.add_argument("--pg", action="store_true", help=f"PostgreSQL at --database-url (default {PG_DEFAULT})")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (implies --pg)")
    parser.add_argument("--schema", default="engage_bench_inbound", help="PostgreSQL schema to (re)create")
    parser.add_argument("--replay", type=int, default=0, metavar="N", help="then time a replay of N stored events")
    opts = parser.parse_args()

    instance = RESULTS / "inbound-events"
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    if opts.pg or opts.database_url:
        url = fresh_schema_url(opts.database_url or PG_DEFAULT, opts.schema)
        label = f"PostgreSQL (schema {opts.schema})"
    else:
        url, label = f"sqlite:///{instance / 'engage.sqlite'}", "SQLite (WAL)"
    print(f"{label}:", flush=True)
    token = build(url, instance, opts.readers)
    ok = burst(opts, url, instance, token) if opts.events else True
    ok = check(url, instance, opts.events * opts.rounds) and ok
    if opts.replay:
        ok = replay_bench(url, instance, opts.replay, opts.readers) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
