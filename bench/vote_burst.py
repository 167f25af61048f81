"""Benchmark: a burst of poll ballots through the real HTTP stack, then a reconciliation.

Builds a fresh database (SQLite under bench/results/, or a schema of its own on PostgreSQL
with ``--database-url``) holding ``--voters`` readers and one open brand-stories poll, starts
gunicorn with ``--workers`` workers (``--worker-class sync`` or ``gthread``) on loopback, and
signs every voter in through the real login form (CSRF token fetched from the page, session
cookie kept; sign-in is set-up and is not timed). Then ``--processes`` client processes with
``--threads`` threads each fire the ballots: every voter casts ``--rounds`` ballots (the first
creates it, the rest change it), and with ``--tabs 2`` a voter's ballots leave from two
connections at the same moment, as from two browser tabs. Each POST carries the page's CSRF
token, exactly as a browser does.

Prints ballots/s (successful ballots over the burst's wall time) and p50/p99 latency, then
reconciles against the database:

* ballot rows = distinct voters with an accepted ballot = the poll's turnout (zero lost);
* no voter holds two ballots, and the points ledger paid each voter once (zero double) — the
  points are queued with the first ballot and paid by ``--job-workers`` ``engage worker``
  processes running beside gunicorn, so the script waits for the queue to empty and says how
  long after the burst that was;
* each stored ballot is one its voter was told was accepted, and the tally counts exactly those;
* history rows = accepted ballots − voters (every change kept).

It also prints the time from a ballot to its paid points under the burst (p50/p95/max): from
the moment the voter's first accepted ballot was answered to the ``created_at`` of the ledger
row that paid it (one machine, one clock). With ``--redis`` the workers share a Redis queue (a
name of the run's own, removed afterwards) instead of the SQLite queue file.

Vote rate limiting (30/minute per address) would stop a benchmark whose clients all share
127.0.0.1, so the server runs with ``ENGAGE_RATELIMIT_ENABLED=false``; CSRF stays on.
Targets (the issue): SQLite ≥ 1,000 ballots/s with p99 ≤ 100 ms; PostgreSQL measured.
The exit status is 1 when the reconciliation fails (targets are reported, not enforced).

    python bench/vote_burst.py [--voters 2000] [--rounds 2] [--tabs 1] [--workers 4]
        [--worker-class sync] [--job-workers 1] [--processes 4] [--threads 8]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--schema engage_bench_votes]
        [--redis redis://127.0.0.1:6379/14]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PASSWORD = "bench-vote-burst-2026"
sys.path.insert(0, str(ROOT))

from _pg import fresh_schema_url  # noqa: E402  (bench/ is the script's own folder)
from _serve import gunicorn  # noqa: E402

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def build(database_url: str, instance: Path, voters: int) -> tuple[int, list[int], list[str]]:
    """Voters, a series, an episode and one open poll with four options; returns (poll, options, emails)."""
    from sqlalchemy import insert

    from core import create_app
    from core.accounts import hash_password
    from core.migrations import upgrade
    from core.models import Role, User, utcnow
    from plugins.brand_stories.models import Episode, Poll, PollOption, Series

    app = create_app({"SECRET_KEY": "bench-votes", "DATABASE_URL": database_url}, instance_path=str(instance),
                     check_schema=False)
    upgrade(app)  # the schema as `engage db upgrade` makes it (gunicorn's workers check it)
    db = app.extensions["engage.db"]
    shared = hash_password(PASSWORD)  # one real hash: every sign-in verifies it at the server's cost
    emails = [f"voter{i}@bench.library" for i in range(voters)]
    now = utcnow()
    with app.app_context(), db.write_session() as session:
        session.execute(insert(User), [{"email": e, "password_hash": shared, "display_name": f"Voter {i}",
                                        "role": Role.student.value, "created_at": now} for i, e in enumerate(emails)])
        series = Series(title_en="Bench", title_zh="基准")
        session.add(series)
        session.flush()
        episode = Episode(series_id=series.id, title_en="Burst", title_zh="爆发", publish_at=now - timedelta(days=1))
        session.add(episode)
        session.flush()
        poll = Poll(episode_id=episode.id, question_en="Next?", question_zh="然后？", opens_at=now - timedelta(hours=1),
                    closes_at=now + timedelta(days=1))
        session.add(poll)
        session.flush()
        options = [PollOption(poll_id=poll.id, text_en=f"Option {n}", text_zh=f"选项{n}", position=n) for n in range(4)]
        session.add_all(options)
        session.flush()
        poll_id, option_ids = poll.id, [o.id for o in options]
    db.dispose()
    return poll_id, option_ids, emails


# --- the client --------------------------------------------------------------------------------

class Browser:
    """One signed-in voter: a session cookie and the CSRF token, over fresh loopback connections.

    The burst shares two cores with the server, so the client speaks plain HTTP/1.1 over a
    socket (request bytes built by hand, status line and ``Set-Cookie`` read from the head)
    rather than through ``http.client``, whose header parsing costs about as much as a
    quarter of the server's work per ballot. It still keeps the session cookie the server
    sets, as a browser does.
    """

    def __init__(self, port: int):
        self.port = port
        self.cookie = ""
        self.token = ""

    def request(self, method: str, path: str, form: list | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(form).encode() if form is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "Connection: close"]
        if self.cookie:
            head.append(f"Cookie: {self.cookie}")
        if form is not None:
            head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        with socket.create_connection(("127.0.0.1", self.port), timeout=60) as conn:
            conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            chunks = []
            while chunk := conn.recv(65536):  # the server closes the connection after its answer
                chunks.append(chunk)
        answer = b"".join(chunks)
        header, _sep, content = answer.partition(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        for line in lines[1:]:
            name, _colon, value = line.partition(":")
            if name.lower() == "set-cookie" and value.strip().startswith("session="):
                self.cookie = value.strip().split(";", 1)[0]
        return int(lines[0].split(" ", 2)[1]), content.decode("utf-8", "replace")

    def sign_in(self, email: str, poll_id: int) -> None:
        _status, page = self.request("GET", "/auth/login")
        self.token = TOKEN.search(page).group(1)
        status, _page = self.request("POST", "/auth/login", [("email", email), ("password", PASSWORD),
                                                             ("csrf_token", self.token)])
        if status not in (302, 303):
            raise RuntimeError(f"signing in {email} answered {status}")
        _status, page = self.request("GET", f"/stories/polls/{poll_id}")
        self.token = TOKEN.search(page).group(1)


def client_process(port, poll_id, option_ids, emails, rounds, tabs, threads, seed, barrier, queue) -> None:
    """Sign in this slice of voters, wait for every process at ``barrier``, fire, and put
    (start time, [(voter, choices, status, ms, finished at)]) on ``queue``."""
    rng = random.Random(seed)
    browsers = {}
    for email in emails:
        browser = Browser(port)
        browser.sign_in(email, poll_id)
        browsers[email] = browser
    jobs = []  # a voter's tabs sit next to each other, so they leave at about the same time
    for _round in range(rounds):
        for email in emails:
            for _tab in range(tabs):
                jobs.append((email, sorted(rng.sample(option_ids, rng.randint(1, len(option_ids))))))
    results: list[tuple] = []
    lock = threading.Lock()
    position = iter(range(len(jobs)))

    def worker():
        while True:
            with lock:
                n = next(position, None)
            if n is None:
                return
            email, choices = jobs[n]
            begin = time.perf_counter()
            status, _body = browsers[email].request(
                "POST", f"/stories/polls/{poll_id}/vote",
                [("option", str(o)) for o in choices] + [("csrf_token", browsers[email].token)])
            elapsed = (time.perf_counter() - begin) * 1000
            with lock:
                results.append((email, choices, status, elapsed, time.time()))

    barrier.wait()
    started = time.time()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put((started, results))


# --- reconciliation -----------------------------------------------------------------------------

def reconcile(database_url: str, instance: Path, poll_id: int, option_ids: list[int], results: list[tuple]) -> bool:
    """Compare what the clients were told with what the database holds."""
    from sqlalchemy import func, select

    from core import create_app
    from core.models import PointEntry, User
    from plugins.brand_stories import voting
    from plugins.brand_stories.models import Ballot, BallotHistory, Poll

    accepted = [r for r in results if r[2] == 303]
    app = create_app({"SECRET_KEY": "bench-votes", "DATABASE_URL": database_url}, instance_path=str(instance))
    db = app.extensions["engage.db"]
    with app.app_context(), db.session() as session:
        rows = session.execute(select(User.email, Ballot.choices).join(User, User.id == Ballot.user_id)
                               .where(Ballot.poll_id == poll_id)).all()
        distinct = session.execute(select(func.count(func.distinct(Ballot.user_id))).where(Ballot.poll_id == poll_id)
                                   ).scalar_one()
        history = session.execute(select(func.count()).select_from(BallotHistory).where(BallotHistory.poll_id == poll_id)
                                  ).scalar_one()
        paid_rows = session.execute(select(PointEntry.idempotency_key, PointEntry.created_at, User.email)
                                    .join(User, User.id == PointEntry.user_id).where(
            PointEntry.idempotency_key.like(f"brand_stories:voted:{poll_id}:%"))).all()
        paid = [key for key, _at, _email in paid_rows]
        poll = session.get(Poll, poll_id)
        turnout = voting.turnout(session, poll_id)
        tally = {o.id: n for o, n in voting.approval_tally(session, poll)}
    db.dispose()
    stored = {email: json.loads(choices) for email, choices in rows}
    told: dict[str, list] = {}
    for email, choices, *_rest in accepted:
        told.setdefault(email, []).append(choices)
    # The row a voter ends with must be one of the ballots they were told was accepted (with two
    # tabs racing, whichever committed last); the tally must be the count of those rows.
    from_rows = {o: sum(o in c for c in stored.values()) for o in option_ids}
    checks = {
        "ballot rows = distinct voters = turnout": len(rows) == distinct == turnout,
        "zero lost: every voter told 'accepted' has a ballot": set(told) <= set(stored),
        "zero phantom: every ballot belongs to a voter told 'accepted'": set(stored) <= set(told),
        "zero double: one ballot and one payment per voter": len(rows) == len(stored) == len(paid) == len(set(paid)),
        "each ballot row is one its voter was told was accepted": all(stored[e] in told[e] for e in stored),
        "tally = approvals on the ballot rows": tally == from_rows,
        "history rows = accepted ballots − voters": history == len(accepted) - len(stored),
    }
    for label, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {label}")
    answered = {}  # a voter's first accepted ballot: when its answer reached the client
    for email, _choices, _status, _ms, finished in accepted:
        answered[email] = min(finished, answered.get(email, finished))
    waits = sorted((at.timestamp() - answered[email]) * 1000 for _key, at, email in paid_rows if email in answered)
    if waits:
        p95 = waits[min(len(waits) - 1, int(len(waits) * 0.95))]
        print(f"  ballot → paid points ({len(waits)} first ballots): p50 {statistics.median(waits):,.0f} ms   "
              f"p95 {p95:,.0f} ms   max {waits[-1]:,.0f} ms")
    print(f"  ballots accepted {len(accepted)}, voters {len(stored)}, history {history}, turnout {turnout}, "
          f"paid {len(paid)}, tally {tally}")
    return all(checks.values())


def wait_for_rewards(database_url: str, instance: Path, limit: float = 300) -> float:
    """Wait until the reward queue holds nothing; returns the time it was empty."""
    from sqlalchemy import create_engine, func, select

    from core.models import PendingReward

    engine = create_engine(database_url)
    try:
        deadline = time.time() + limit
        while time.time() < deadline:
            with engine.connect() as connection:
                if not connection.execute(select(func.count()).select_from(PendingReward)).scalar_one():
                    return time.time()
            time.sleep(0.1)
        sys.exit("the reward queue did not pay within the limit")
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voters", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2, help="ballots per voter per tab (later ones change it)")
    parser.add_argument("--tabs", type=int, default=1, help="connections a voter's ballots leave from at once")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--job-workers", type=int, default=1, help="`engage worker` processes paying rewards")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--threads", type=int, default=8, help="client threads per process")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--schema", default="engage_bench_votes", help="PostgreSQL schema to (re)create")
    parser.add_argument("--redis", default=None, help="a Redis URL for the job queue (default: the SQLite queue file)")
    opts = parser.parse_args()

    instance = RESULTS / "vote-burst"
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    if opts.database_url:
        url, label = fresh_schema_url(opts.database_url, opts.schema), f"PostgreSQL (schema {opts.schema})"
    else:
        url, label = f"sqlite:///{instance / 'engage.sqlite'}", "SQLite (WAL)"
    poll_id, option_ids, emails = build(url, instance, opts.voters)

    env = {**os.environ, "ENGAGE_INSTANCE_PATH": str(instance), "ENGAGE_SECRET_KEY": "bench-votes",
           "ENGAGE_DATABASE_URL": url, "ENGAGE_RATELIMIT_ENABLED": "false"}
    if opts.redis:
        env |= {"ENGAGE_JOBS_URL": opts.redis, "ENGAGE_JOBS_NAME": f"bench-votes-{os.getpid()}-{int(time.time())}"}
    job_workers = []
    try:
        with gunicorn(env, workers=opts.workers, worker_class=opts.worker_class,
                      threads=4 if opts.worker_class == "gthread" else None) as port:
            job_workers += [subprocess.Popen([sys.executable, "-m", "core", "worker"], cwd=ROOT, env=env,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                            for _ in range(opts.job_workers)]
            slices = [emails[i::opts.processes] for i in range(opts.processes)]
            print(f"{label}: gunicorn {opts.workers} {opts.worker_class} workers; {opts.voters} voters signing in …",
                  flush=True)
            barrier, queue = multiprocessing.Barrier(opts.processes), multiprocessing.Queue()
            clients = [multiprocessing.Process(target=client_process, args=(
                port, poll_id, option_ids, part, opts.rounds, opts.tabs, opts.threads, n, barrier, queue))
                for n, part in enumerate(slices)]
            for c in clients:
                c.start()
            parts = [queue.get() for _ in clients]
            for c in clients:
                c.join()
            burst_over = time.time()
            settled = wait_for_rewards(url, instance)
            print(f"{opts.job_workers} job worker(s) paid every voter's points {settled - burst_over:.1f} s after "
                  "the burst")
    finally:
        for process in job_workers:
            process.terminate()
        for process in job_workers:
            process.wait(timeout=30)
        if opts.redis:  # this run's keys only
            from huey import RedisHuey

            RedisHuey(env["ENGAGE_JOBS_NAME"], url=opts.redis).flush()
    results = [r for _started, part in parts for r in part]
    if not results:
        sys.exit("no ballots were sent")
    wall = max(r[4] for r in results) - min(started for started, _part in parts)
    latencies = sorted(r[3] for r in results)
    statuses: dict[int, int] = {}
    for r in results:
        statuses[r[2]] = statuses.get(r[2], 0) + 1
    ok = statuses.get(303, 0)
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"{len(results)} POSTs in {wall:.2f} s from {opts.processes}×{opts.threads} client threads; "
          f"statuses {dict(sorted(statuses.items()))}")
    print(f"ballots/s {ok / wall:,.0f}   p50 {p50:.1f} ms   p99 {p99:.1f} ms   "
          f"(target on SQLite: ≥ 1,000/s, p99 ≤ 100 ms)")
    print("reconciliation:")
    good = reconcile(url, instance, poll_id, option_ids, results)
    print("reconciled: " + ("yes — zero lost, zero double" if good else "NO"))
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
