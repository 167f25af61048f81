"""Benchmark: points awarded through the JSON API over real HTTP, in batches, then a reconciliation.

Builds a fresh database (SQLite under bench/results/, or a schema of its own on PostgreSQL with
``--database-url``) with ``--readers`` readers (student numbers ``B0…``) and one API key holding
``points:award``, starts gunicorn with ``--workers`` workers on loopback, and has ``--clients``
client threads POST ``/api/v1/awards/batch`` with batches of ``--batch`` awards (each with its own
idempotency key) until ``--awards`` awards are sent. Then it sends the first batch again (every
award answered as a replay, nothing paid) and checks the database: ledger rows = awards sent, and
``engage``'s totals check agrees with the ledger.

Prints awards/s (awards over the burst's wall time) and p50/p99 latency per batch. The key's rate
limit is set high enough not to be the thing measured.

    python bench/api_awards.py [--awards 20000] [--batch 500] [--readers 2000] [--workers 2] [--clients 4]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--schema engage_bench_api]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

from _pg import fresh_schema_url  # noqa: E402  (bench/ is the script's own folder)
from _serve import gunicorn, p99, send_all  # noqa: E402


def build(database_url: str, instance: Path, readers: int) -> str:
    """Readers and an API key; returns the key's token."""
    from sqlalchemy import insert

    from core import create_app
    from core.accounts import hash_password
    from core.api.keys import create_key
    from core.migrations import upgrade
    from core.models import Role, User, utcnow

    app = create_app({"SECRET_KEY": "bench-api", "DATABASE_URL": database_url}, instance_path=str(instance),
                     check_schema=False)
    upgrade(app)
    db = app.extensions["engage.db"]
    shared, now = hash_password("bench-api-awards-2026"), utcnow()
    with app.test_request_context(), db.write_session() as session:
        session.execute(insert(User), [{"email": f"reader{i}@bench.library", "password_hash": shared,
                                        "display_name": f"Reader {i}", "member_number": f"B{i}",
                                        "role": Role.student.value, "created_at": now} for i in range(readers)])
        token = create_key(session, name="Benchmark", scopes=["points:award"], actor_id=None,
                           rate_limit="100000 per minute").token
    db.dispose()
    return token


def post(port: int, token: str, body: bytes) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", "/api/v1/awards/batch", body=body,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def batches(total: int, size: int, readers: int) -> list[bytes]:
    out = []
    for start in range(0, total, size):
        rng = random.Random(start)  # readers in no order: concurrent batches share readers, as real ones do
        awards = [{"reader": f"B{rng.randrange(readers)}", "amount": 1 + n % 5, "idempotency_key": f"bench-{n}",
                   "rule": "bench"} for n in range(start, min(total, start + size))]
        out.append(json.dumps({"awards": awards}).encode())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--awards", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--readers", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4, help="client threads sending batches")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--schema", default="engage_bench_api", help="PostgreSQL schema to (re)create")
    opts = parser.parse_args()

    instance = RESULTS / "api-awards"
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    if opts.database_url:
        url, label = fresh_schema_url(opts.database_url, opts.schema), f"PostgreSQL (schema {opts.schema})"
    else:
        url, label = f"sqlite:///{instance / 'engage.sqlite'}", "SQLite (WAL)"
    token = build(url, instance, opts.readers)
    work = batches(opts.awards, opts.batch, opts.readers)

    env = {**os.environ, "ENGAGE_INSTANCE_PATH": str(instance), "ENGAGE_SECRET_KEY": "bench-api",
           "ENGAGE_DATABASE_URL": url}
    with gunicorn(env, workers=opts.workers, timeout=120, quiet=True) as port:
        print(f"{label}: gunicorn {opts.workers} workers; {opts.awards} awards in batches of {opts.batch}, "
              f"{opts.clients} clients …", flush=True)
        wall, latencies, answers = send_all(work, lambda body: post(port, token, body), opts.clients)
        failures = [(status, answer) for status, answer in answers if status != 200]
        print(f"  {opts.awards / wall:,.0f} awards/s ({wall:.2f} s); per batch p50 "
              f"{statistics.median(latencies) * 1000:.0f} ms, p99 {p99(latencies) * 1000:.0f} ms;"
              f" {len(failures)} failed batches {failures[:1]}")
        status, replay = post(port, token, work[0])
        replayed = status == 200 and replay["points"] == 0 and all(r["replayed"] for r in replay["results"])
        print(f"  the first batch sent again: {'every award a replay, nothing paid' if replayed else 'NOT a replay'}")

    from sqlalchemy import func, select

    from core import create_app
    from core.models import PointEntry
    from core.points import check_totals

    app = create_app({"SECRET_KEY": "bench-api", "DATABASE_URL": url}, instance_path=str(instance))
    with app.test_request_context():
        session = app.extensions["engage.db"].session()
        rows = session.execute(select(func.count()).select_from(PointEntry)).scalar_one()
        problems = check_totals(session)
    ok = rows == opts.awards and not problems and replayed and not failures
    print(f"  ledger rows {rows} (sent {opts.awards}); totals check: {'agrees' if not problems else problems[:3]}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
