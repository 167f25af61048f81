"""Benchmark: email messages per second from the outbox to a real SMTP server (aiosmtpd on loopback, in a
process of its own).

Queues ``--messages`` notifications whose readers want them by email at once (half of the
readers read in Chinese), one notification per transaction as a request makes them, then
times ``core.mail.deliver_pending`` draining the outbox into an aiosmtpd server on 127.0.0.1
(``--deliverers`` threads at once, each with its own SMTP connection per batch). It checks
that the server received every message exactly once.

    python bench/mail_send.py                                  # SQLite, a temporary file
    python bench/mail_send.py --deliverers 2 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

On PostgreSQL it works in its own schema (``--schema``, default ``engage_bench_mail``), which it
drops and recreates at the start of every run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import threading
import time
from pathlib import Path

from _pg import fresh_schema_url
from _serve import free_port


class Counter:
    """The SMTP server's handler: keeps the Message-ID of everything that arrives."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        import email

        self.ids.append(email.message_from_bytes(envelope.original_content)["Message-ID"])
        return "250 OK"


def smtp_server(port: int, ready, stop, received) -> None:
    """Run aiosmtpd in a process of its own (so it does not share the deliverers' interpreter)
    until ``stop`` is set, then hand back the Message-IDs it received."""
    from aiosmtpd.controller import Controller

    counter = Counter()
    server = Controller(counter, hostname="127.0.0.1", port=port)
    server.start()
    ready.set()
    stop.wait()
    server.stop()
    received.put(counter.ids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2_000, help="messages to queue and send (default 2000)")
    parser.add_argument("--users", type=int, default=200, help="readers the messages go to (default 200)")
    parser.add_argument("--batch", type=int, default=100, help="messages a deliverer claims at once (default 100)")
    parser.add_argument("--deliverers", type=int, default=1, help="deliverers draining at once (default 1)")
    parser.add_argument("--database-url", help="PostgreSQL URL; default is a temporary SQLite file")
    parser.add_argument("--schema", default="engage_bench_mail", help="PostgreSQL schema to (re)create")
    args = parser.parse_args(argv)

    from core import create_app
    from core.accounts import hash_password
    from core.mail import deliver_pending
    from core.migrations import upgrade
    from core.models import User
    from core.notifications import notify

    tmp = tempfile.TemporaryDirectory(prefix="engage-bench-mail-")
    if args.database_url:
        url, label = fresh_schema_url(args.database_url, args.schema), f"PostgreSQL (schema {args.schema})"
    else:
        url, label = f"sqlite:///{Path(tmp.name) / 'bench.sqlite'}", "SQLite (WAL, temp file)"
    port = free_port()
    ready, stop, received = multiprocessing.Event(), multiprocessing.Event(), multiprocessing.Queue()
    server = multiprocessing.Process(target=smtp_server, args=(port, ready, stop, received), daemon=True)
    server.start()
    if not ready.wait(30):
        parser.error("the SMTP server did not start")
    settings = {"SECRET_KEY": "bench", "DATABASE_URL": url, "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": port, "MAIL_DEFAULT_SENDER": "Library <engage@library.test>",
                "PUBLIC_BASE_URL": "https://engage.library.test", "REWARD_JOBS": False}
    app = create_app(settings, instance_path=str(Path(tmp.name) / "instance"), check_schema=False)
    upgrade(app)
    db = app.extensions["engage.db"]
    with app.app_context():
        password = hash_password("benchmark only")
        with db.write_session() as session:
            users = [User(email=f"reader{n}@bench.library", display_name=f"Reader {n}", password_hash=password,
                          locale="zh_Hans" if n % 2 else "en") for n in range(args.users)]
            session.add_all(users)
            session.flush()
            ids = [user.id for user in users]
        started = time.perf_counter()
        for n in range(args.messages):  # badge-revoked: emailed at once by default
            with db.write_session() as session:
                notify(session, user_id=ids[n % len(ids)], plugin="core", kind="badge-revoked", url="/notifications/",
                       message={"en": f"Your badge number {n} was taken back", "zh_Hans": f"你的第 {n} 枚徽章被收回"})
        queued_in = time.perf_counter() - started

    sent, errors = [], []

    def deliverer():
        try:
            while (count := deliver_pending(app, args.batch)):
                sent.append(count)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliverer) for _ in range(args.deliverers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    stop.set()
    ids = received.get(timeout=30)
    server.join(10)
    once = len(set(ids)) == len(ids) == args.messages
    print(f"database: {label}; {args.messages} messages to {args.users} readers; "
          f"{args.deliverers} deliverer(s), batches of {args.batch}")
    print(f"queued with their notifications: {args.messages / queued_in:,.0f} notifications/s "
          f"({queued_in / args.messages * 1000:.2f} ms each, one transaction each)")
    print(f"delivered: {sum(sent)} in {elapsed:.2f} s = {sum(sent) / elapsed:,.0f} email messages/s")
    print(f"SMTP server (its own process) received {len(ids)}, each exactly once: {'yes' if once else 'NO'}")
    if errors:
        print(f"errors: {errors[:3]}")
    return 0 if once and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
