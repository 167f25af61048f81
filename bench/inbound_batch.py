"""Benchmark: where one batch of inbound events spends its time, in one process (no HTTP).

With two gunicorn workers on SQLite, ``bench/inbound_events.py``'s figure is 500 events divided by
the time one batch holds the writer lock, and a batch holds it from its first statement to its
commit. This script times that part alone: it builds the same library (``--readers`` readers, the
same two rules), stores ``--events`` events through ``plugins.inbound.events.ingest`` in batches
of ``--batch`` (one transaction each, as the API does), then times ``--batches`` more batches, each
in total and by part: the functions below, each timed where it is called (a part's time holds the
parts listed under it). The first five timed batches warm up and are left out.

    python bench/inbound_batch.py [--events 100000] [--batches 40] [--batch 500] [--readers 5000]
        [--pg] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import shutil
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

from _pg import fresh_schema_url  # noqa: E402  (bench/ is the script's own folder)
from inbound_events import PG_DEFAULT, batches, build  # noqa: E402

# (label, module, attribute, depth): the parts of a batch, in the order they run; a part's time
# includes the deeper parts listed after it.
PARTS = [
    ("readers by number", "plugins.inbound.events", "readers_by_number", 0),
    ("storing the events", "plugins.inbound.events", "_store", 0),
    ("recording the activities", "plugins.inbound.events", "record_activities", 0),
    ("their listeners (badges, insights)", "core.activity", "_announce", 1),
    ("paying", "plugins.inbound.paying", "pay", 0),
    ("the caps", "plugins.inbound.paying", "Caps.__init__", 1),
    ("claiming (rule, event)", "plugins.inbound.paying", "_claim", 1),
    ("the ledger (award_many)", "plugins.inbound.paying", "award_many", 1),
    ("the totals' upserts", "core.points", "_add_to_totals", 2),
    ("the awards' listeners (levels, badges, insights)", "core.points", "_announce", 2),
    ("the totals read back", "plugins.inbound.events", "_totals", 0),
]


def timed(spent: dict, label: str, module: str, attribute: str) -> None:
    """Replace ``module.attribute`` (``Class.method`` allowed) by a wrapper adding its time to ``spent``."""
    owner = importlib.import_module(module)
    *path, name = attribute.split(".")
    for part in path:
        owner = getattr(owner, part)
    function = getattr(owner, name)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - started

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="events stored before the timed batches")
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--readers", type=int, default=5_000)
    parser.add_argument("--pg", action="store_true", help=f"PostgreSQL at --database-url (default {PG_DEFAULT})")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (implies --pg)")
    parser.add_argument("--schema", default="engage_bench_inbound_batch", help="PostgreSQL schema to (re)create")
    opts = parser.parse_args()
    if opts.batches <= 5 or opts.batch < 1 or opts.events < 0:
        parser.error("--batches must be above 5 (five warm up), --batch at least 1, --events not negative")

    instance = RESULTS / "inbound-batch"
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    if opts.pg or opts.database_url:
        url = fresh_schema_url(opts.database_url or PG_DEFAULT, opts.schema)
        print(f"PostgreSQL (schema {opts.schema}):", flush=True)
    else:
        url = f"sqlite:///{instance / 'engage.sqlite'}"
        print("SQLite (WAL):", flush=True)
    build(url, instance, opts.readers)

    from core import create_app
    from plugins.inbound import events as inbound

    app = create_app({"SECRET_KEY": "bench-inbound", "DATABASE_URL": url}, instance_path=str(instance))
    db = app.extensions["engage.db"]
    bodies = [json.loads(body)["events"] for body in
              batches(opts.events + opts.batches * opts.batch, opts.batch, opts.readers)]
    filling, timing = bodies[:len(bodies) - opts.batches], bodies[len(bodies) - opts.batches:]
    with app.test_request_context("/api/v1/inbound/events", method="POST"):
        started = time.perf_counter()
        for events in filling:
            with db.write_session() as session:
                inbound.ingest(session, events, origin="bench")
        if filling:
            took = time.perf_counter() - started
            print(f"  stored and paid {opts.events:,} events first, in one process: {took:.1f} s "
                  f"({opts.events / took:,.0f} events/s)", flush=True)
        spent: dict[str, float] = defaultdict(float)
        for label, module, attribute, _depth in PARTS:
            timed(spent, label, module, attribute)
        totals, commits = [], []
        for n, events in enumerate(timing):
            if n == 5:
                spent.clear()
            started = time.perf_counter()
            with db.write_session() as session:
                inbound.ingest(session, events, origin="bench")
                before_commit = time.perf_counter()
            finished = time.perf_counter()
            if n >= 5:
                totals.append(finished - started)
                commits.append(finished - before_commit)
    db.dispose()
    count = len(totals)
    print(f"  {count} batches of {opts.batch} after {opts.events:,} events: median "
          f"{statistics.median(totals) * 1000:.1f} ms a batch, mean {statistics.mean(totals) * 1000:.1f} ms "
          f"({statistics.mean(totals) * 1000 / opts.batch:.3f} ms an event)")
    for label, _module, _attribute, depth in PARTS:
        print(f"    {'  ' * depth}{label:<{52 - 2 * depth}} {spent[label] * 1000 / count:7.1f} ms")
    commit = statistics.mean(commits) * 1000
    print(f"    {'the commit':<52} {commit:7.1f} ms")
    parts = sum(spent[label] for label, _module, _attribute, depth in PARTS if depth == 0) * 1000 / count
    rest = statistics.mean(totals) * 1000 - commit - parts
    print(f"    {'the rest (checking the events, the answers)':<52} {rest:7.1f} ms")


if __name__ == "__main__":
    main()
