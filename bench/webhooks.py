"""Benchmark: webhook deliveries per second from the outbox to a receiver on loopback, through `engage worker`.

Subscribes one endpoint to ``points.awarded``, pays ``--events`` awards (one transaction each, as
requests make them; each writes its delivery row in the award's transaction), then starts a real
``engage worker`` process on a SQLite job queue, asks it to deliver, and times until the receiver
(an HTTP server in a process of its own, 127.0.0.1) has every event. The receiver checks each
signature with the ``standardwebhooks`` package and counts each message id once.

    python bench/webhooks.py                                   # SQLite, a temporary file
    python bench/webhooks.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

On PostgreSQL it works in its own schema (``--schema``, default ``engage_bench_webhooks``), which it
drops and recreates at the start of every run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _pg import fresh_schema_url

ROOT = Path(__file__).resolve().parent.parent


def receiver(secret: str, port_out, counts) -> None:
    """An HTTP server that verifies each delivery and counts distinct message ids (shared value)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from standardwebhooks.webhooks import Webhook

    hook, seen = Webhook(secret), set()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a receiver behind a real web server would

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            try:
                hook.verify(body, dict(self.headers.items()))
            except Exception:  # noqa: BLE001 - counted as bad
                counts[1] += 1
                self.send_response(400)
            else:
                seen.add(self.headers["webhook-id"])
                counts[0] = len(seen)
                self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_out.put(server.server_address[1])
    server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2_000, help="awards, each one delivery (default 2000)")
    parser.add_argument("--users", type=int, default=200, help="readers paid (default 200)")
    parser.add_argument("--database-url", help="PostgreSQL URL; default is a temporary SQLite file")
    parser.add_argument("--schema", default="engage_bench_webhooks", help="PostgreSQL schema to (re)create")
    args = parser.parse_args(argv)

    from core import create_app
    from core.accounts import hash_password
    from core.migrations import upgrade
    from core.models import User
    from core.points import award
    from core.webhooks import service
    from core.webhooks.events import DELIVER

    tmp = tempfile.TemporaryDirectory(prefix="engage-bench-webhooks-")
    if args.database_url:
        url, label = fresh_schema_url(args.database_url, args.schema), f"PostgreSQL (schema {args.schema})"
    else:
        url, label = f"sqlite:///{Path(tmp.name) / 'bench.sqlite'}", "SQLite (WAL, temp file)"
    env = {"ENGAGE_DATABASE_URL": url, "ENGAGE_SECRET_KEY": "bench", "ENGAGE_INSTANCE_PATH": str(Path(tmp.name) / "instance"),
           "ENGAGE_JOBS_URL": f"sqlite:///{Path(tmp.name) / 'jobs.sqlite'}", "ENGAGE_WEBHOOK_ALLOW_PRIVATE": "true",
           "ENGAGE_REWARD_JOBS": "false", "ENGAGE_MAIL_NOTIFICATIONS": "false"}
    settings = {"SECRET_KEY": "bench", "DATABASE_URL": url, "JOBS_URL": env["ENGAGE_JOBS_URL"],
                "WEBHOOK_ALLOW_PRIVATE": True, "WEBHOOK_JOBS": False, "REWARD_JOBS": False, "MAIL_NOTIFICATIONS": False}
    app = create_app(settings, instance_path=env["ENGAGE_INSTANCE_PATH"], check_schema=False)
    upgrade(app)
    db = app.extensions["engage.db"]
    with app.test_request_context("/"):
        with db.write_session() as session:
            endpoint = service.create_endpoint(session, url="http://127.0.0.1:1/", event_types=["points.awarded"],
                                               actor_id=None)
            secret = endpoint.secret
    port_out, counts = multiprocessing.Queue(), multiprocessing.Array("i", 2)
    server = multiprocessing.Process(target=receiver, args=(secret, port_out, counts), daemon=True)
    server.start()
    port = port_out.get(timeout=30)
    with app.test_request_context("/"):
        with db.write_session() as session:
            session.get(type(endpoint), endpoint.id).url = f"http://127.0.0.1:{port}/hooks"
        password = hash_password("benchmark only")
        with db.write_session() as session:
            users = [User(email=f"reader{n}@bench.library", display_name=f"Reader {n}", password_hash=password)
                     for n in range(args.users)]
            session.add_all(users)
            session.flush()
            ids = [user.id for user in users]
        started = time.perf_counter()
        for n in range(args.events):
            with db.write_session() as session:
                award(session, user_id=ids[n % len(ids)], amount=1, rule="bench", plugin="core",
                      idempotency_key=f"bench:{n}")
        queued_in = time.perf_counter() - started

    worker = subprocess.Popen([sys.executable, "-m", "core", "worker", "--threads", "2"], cwd=ROOT,
                              env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in worker.stdout:  # wait for its start-up line ("Worker <pid>: …"), so start-up is not timed
            if line.startswith("Worker"):
                break
        started = time.perf_counter()
        with app.app_context():
            app.extensions["engage.jobs"].run_soon(DELIVER)
        deadline = started + 600
        while counts[0] + counts[1] < args.events and time.perf_counter() < deadline:
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        server.terminate()
    good, bad = counts[0], counts[1]
    print(f"database: {label}; {args.events} awards to {args.users} readers, one webhook endpoint subscribed")
    print(f"awards with their delivery rows: {args.events / queued_in:,.0f} awards/s "
          f"({queued_in / args.events * 1000:.2f} ms each, one transaction each)")
    print(f"delivered through `engage worker` (SQLite job queue) to a loopback receiver: {good} in {elapsed:.2f} s "
          f"= {good / elapsed:,.0f} deliveries/s")
    print(f"signatures verified by standardwebhooks: {good} good, {bad} bad; every event once: "
          f"{'yes' if good == args.events and not bad else 'NO'}")
    return 0 if good == args.events and not bad else 1


if __name__ == "__main__":
    sys.exit(main())
