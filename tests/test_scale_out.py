"""Scale-out: two app servers and two job workers on one PostgreSQL database and one Redis queue.

Everything is a real process: the schema is made by ``engage db upgrade`` (migrations, and the
servers check it is at head), two ``gunicorn -w 2`` servers with the checkout's gunicorn.conf.py
on two loopback ports, two ``engage worker`` processes (the second with ``--no-scheduler``, as on
a second machine) sharing ``ENGAGE_JOBS_URL=redis://…``, and an aiosmtpd server that receives the
mail. Readers sign in through the login form (CSRF token from the page, session cookie kept) and
fire a burst of ballots at both servers at once; each first ballot queues its reward in the
ballot's transaction (``core.rewards.defer_award``), the workers pay it, and the first points
earn badges whose notifications each reader wants by email at once (every kind of news). The test waits (bounded)
until the reward queue and the mail outbox are empty and checks: every reward paid exactly once,
``engage check`` clean, every notification that wanted an email delivered exactly once, and no
error in any server's or worker's log.

PostgreSQL only (SQLite is one machine by design): skipped unless ENGAGE_TEST_DATABASE_URL is set,
which `.ci/run`'s PostgreSQL pass does. Redis must answer: a missing Redis fails the test (under
CI=true and everywhere else), it never skips it. The rate limiter is off in the servers: every client here shares
127.0.0.1, and the vote limit (30 a minute per address) would refuse most of the burst.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from core.testing import PG_URL

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("ENGAGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "scale-out-test-2026"
VOTERS = 24  # each votes in both polls (two rewards) and changes one ballot: 72 ballots
SETTLE_SECONDS = 60
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = [
    pytest.mark.scale_out,
    pytest.mark.skipif(not PG_URL, reason="the scale-out test needs PostgreSQL: set ENGAGE_TEST_DATABASE_URL "
                                          "(`.ci/run` does in its PostgreSQL pass)"),
]


def _require_redis() -> None:
    """The queue is the point of the test: with PostgreSQL given, a missing Redis fails it (in CI and
    out of it) rather than skipping it."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({exc}); start it (`.ci/run` does) or point "
                    "ENGAGE_TEST_REDIS_URL at one")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _engage() -> list[str]:
    script = Path(sys.executable).with_name("engage")
    return [str(script)] if script.exists() else [sys.executable, "-m", "core"]


# --- the parts ------------------------------------------------------------------------------------

class Inbox:
    """aiosmtpd's handler: every message received, as (recipient, subject, Message-ID)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content)
        subject = str(make_header(decode_header(message["Subject"])))
        with self.lock:
            for to in envelope.rcpt_tos:
                self.messages.append((to.lower(), subject, message["Message-ID"]))
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


class Processes:
    """Servers and workers, each logging to a file of its own; stopped with their process groups."""

    def __init__(self, tmp_path: Path, env: dict) -> None:
        self.tmp_path, self.env, self.running = tmp_path, env, []

    def start(self, name: str, command: list[str], **env) -> Path:
        log = self.tmp_path / f"{name}.log"
        out = log.open("w")
        process = subprocess.Popen(command, cwd=ROOT, env={**self.env, **env}, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.running.append((name, process, out, log))
        return log

    def gunicorn(self, name: str, instance: Path) -> int:
        port = _free_port()
        log = self.start(name, [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "-w", "2",
                                "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5", "core:create_app()"],
                         ENGAGE_INSTANCE_PATH=str(instance))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.running[-1][1].poll() is not None:
                raise AssertionError(f"{name} stopped:\n{log.read_text()}")
            if log.read_text().count("Booting worker") >= 2:
                try:
                    if Browser(port).request("GET", "/healthz")[0] == 200:
                        return port
                except OSError:
                    pass
            time.sleep(0.2)
        raise AssertionError(f"{name} did not start:\n{log.read_text()}")

    def stop(self) -> None:
        for _name, process, _out, _log in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT if "worker" in _name else signal.SIGTERM)
        for _name, process, out, _log in self.running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            out.close()

    def logs(self) -> str:
        return "\n".join(f"--- {name} ---\n{log.read_text()}" for name, _p, _o, log in self.running)


class Browser:
    """A reader on one server: the session cookie and the CSRF token, a fresh connection per request."""

    def __init__(self, port: int) -> None:
        self.port, self.cookie, self.token = port, "", ""

    def request(self, method: str, path: str, form: list | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Connection": "close", "Accept-Language": "en"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie" and value.startswith("session="):
                    self.cookie = value.split(";", 1)[0]
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def sign_in(self, email: str, poll_id: int) -> None:
        _status, page = self.request("GET", "/auth/login")
        self.token = TOKEN.search(page).group(1)
        status, _page = self.request("POST", "/auth/login", [("email", email), ("password", PASSWORD),
                                                             ("csrf_token", self.token)])
        assert status in (302, 303), f"signing in {email} answered {status}"
        _status, page = self.request("GET", f"/stories/polls/{poll_id}")  # the signed-in session's token
        self.token = TOKEN.search(page).group(1)

    def vote(self, poll_id: int, options: list[int]) -> int:
        status, _page = self.request("POST", f"/stories/polls/{poll_id}/vote",
                                     [("option", str(o)) for o in options] + [("csrf_token", self.token)])
        return status


# --- set-up ---------------------------------------------------------------------------------------

@pytest.fixture
def schema_url():
    """A PostgreSQL schema of this test's own (dropped afterwards), as a URL with its search_path."""
    schema = f"engage_scale_out_{uuid.uuid4().hex[:8]}"
    engine = create_engine(PG_URL)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def seed(url: str, instance: Path, env: dict) -> tuple[list[int], list[int], list[str]]:
    """Readers who want every notification by email at once, and two open polls; returns (polls, options, emails)."""
    from argon2 import PasswordHasher

    from core import create_app
    from core.accounts import create_user
    from core.mail import kinds
    from core.models import utcnow
    from plugins.brand_stories.models import Episode, Poll, PollOption, Series

    app = create_app({"SECRET_KEY": env["ENGAGE_SECRET_KEY"], "DATABASE_URL": url, "JOBS_URL": REDIS_URL,
                      "JOBS_NAME": env["ENGAGE_JOBS_NAME"]}, instance_path=str(instance), check_schema=True)
    db = app.extensions["engage.db"]
    shared = PasswordHasher().hash(PASSWORD)  # the servers verify it at their real cost, without rehashing
    emails = [f"reader{n}@scale.library" for n in range(VOTERS)]
    now = utcnow()
    with app.app_context(), db.write_session() as session:
        for n, email in enumerate(emails):
            user = create_user(session, email=email, password="", password_hash=shared, display_name=f"Reader {n}",
                               locale="en")
            for kind in kinds.offered_to(user):  # every kind of news by email at once
                kinds.choose(session, user_id=user.id, kind=kind.key, cadence="immediate")
        series = Series(title_en="Scale", title_zh="扩展")
        session.add(series)
        session.flush()
        episode = Episode(series_id=series.id, title_en="Burst", title_zh="爆发", publish_at=now - timedelta(days=1))
        session.add(episode)
        session.flush()
        polls, options = [], []
        for n in range(2):
            poll = Poll(episode_id=episode.id, question_en=f"Next {n}?", question_zh=f"然后 {n}？",
                        opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1))
            session.add(poll)
            session.flush()
            choices = [PollOption(poll_id=poll.id, text_en=f"Option {k}", text_zh=f"选项{k}", position=k)
                       for k in range(3)]
            session.add_all(choices)
            session.flush()
            polls.append(poll.id)
            options.append([c.id for c in choices])
    db.dispose()
    app.extensions["engage.jobs"].huey.storage.close()
    return polls, options, emails


def _flush_queue(env: dict) -> None:
    """Remove this run's keys from Redis (the queue's name is unique to the run) and nothing else."""
    from huey import RedisHuey

    queue = RedisHuey(env["ENGAGE_JOBS_NAME"], url=REDIS_URL)
    queue.flush()
    queue.storage.close()


# --- the test -------------------------------------------------------------------------------------

def test_two_servers_and_two_workers_pay_a_burst_once_and_mail_each_notification_once(schema_url, smtp, tmp_path):
    _require_redis()
    inbox, smtp_port = smtp
    env = {**os.environ, "ENGAGE_DATABASE_URL": schema_url, "ENGAGE_SECRET_KEY": "scale-out-test",
           "ENGAGE_SCHEMA_CHECK": "true", "ENGAGE_JOBS_URL": REDIS_URL,
           "ENGAGE_JOBS_NAME": f"engage-scale-{uuid.uuid4().hex[:10]}", "ENGAGE_RATELIMIT_ENABLED": "false",
           "ENGAGE_MAIL_BACKEND": "smtp", "ENGAGE_MAIL_SERVER": "127.0.0.1", "ENGAGE_MAIL_PORT": str(smtp_port),
           "ENGAGE_MAIL_DEFAULT_SENDER": "Library <engage@library.test>",
           "ENGAGE_PUBLIC_BASE_URL": "https://engage.library.test", "ENGAGE_INSTANCE_PATH": str(tmp_path / "setup")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # gunicorn.conf.py makes one per server

    upgrade = subprocess.run([*_engage(), "db", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120)
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    polls, options, emails = seed(schema_url, tmp_path / "setup", env)

    parts = Processes(tmp_path, env)
    try:
        ports = [parts.gunicorn(f"server-{n}", tmp_path / f"server-{n}") for n in range(2)]
        parts.start("worker-0", [*_engage(), "worker"], ENGAGE_INSTANCE_PATH=str(tmp_path / "server-0"))
        parts.start("worker-1", [*_engage(), "worker", "--no-scheduler"],
                    ENGAGE_INSTANCE_PATH=str(tmp_path / "server-1"))

        browsers = [Browser(ports[n % 2]) for n in range(VOTERS)]  # half the readers on each server
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda pair: pair[0].sign_in(pair[1], polls[0]), zip(browsers, emails, strict=True)))

        # The burst: both polls for every reader, then a changed ballot, from 16 threads at both servers.
        ballots = [(b, 0) for b in browsers] + [(b, 1) for b in browsers]
        changes = [(b, 0) for b in browsers]
        start = threading.Barrier(16, timeout=60)

        def fire(batch):
            start.wait()
            return [b.vote(polls[p], options[p][: 1 + n % 3]) for n, (b, p) in enumerate(batch)]

        with ThreadPoolExecutor(16) as pool:
            firsts = [s for part in pool.map(fire, [ballots[n::16] for n in range(16)]) for s in part]
        with ThreadPoolExecutor(8) as pool:
            changed = list(pool.map(lambda pair: pair[0].vote(polls[pair[1]], options[pair[1]][-1:]), changes))
        assert Counter(firsts) == {303: 2 * VOTERS} and Counter(changed) == {303: VOTERS}, (firsts, changed)

        engine = create_engine(schema_url)
        try:
            def scalar(sql: str, **params):
                with engine.connect() as connection:
                    return connection.execute(text(sql), params).scalar_one()

            deadline = time.monotonic() + SETTLE_SECONDS
            settled = False
            while time.monotonic() < deadline:
                if (scalar("SELECT count(*) FROM core_pending_reward") == 0
                        and scalar("SELECT count(*) FROM core_mail_outbox WHERE status <> 'sent'") == 0
                        and inbox.count() >= scalar("SELECT count(*) FROM core_mail_outbox")):
                    settled = True
                    break
                time.sleep(0.25)
            assert settled, "the queue or the outbox did not empty within the limit:\n" + parts.logs()
            time.sleep(1.5)  # a duplicate sent late would arrive now

            from core.models import Notification, PointEntry, User

            with engine.connect() as connection:
                paid = connection.execute(select(PointEntry.idempotency_key).where(
                    PointEntry.rule == "vote")).scalars().all()
                wanted = connection.execute(
                    text("SELECT u.email, count(*) FROM core_mail_outbox o JOIN core_user u ON u.id = o.user_id "
                         "WHERE o.message = 'notification' GROUP BY u.email")).all()
                outbox = connection.execute(text("SELECT notification_id, status, attempts FROM core_mail_outbox")
                                            ).all()
                notes = dict(connection.execute(
                    select(User.email, func.count()).join(Notification, Notification.user_id == User.id)
                    .group_by(User.email)).all())
                badges = connection.execute(select(func.count(func.distinct(Notification.user_id))).where(
                    Notification.kind == "badge")).scalar_one()
        finally:
            engine.dispose()
    finally:
        parts.stop()
        _flush_queue(env)

    # Every reward paid exactly once: one ledger row per first ballot, and nothing more.
    assert len(paid) == len(set(paid)) == 2 * VOTERS
    checked = subprocess.run([*_engage(), "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # Every notification that wanted an email at once was queued once and delivered once.
    assert badges == VOTERS and set(notes) == set(emails)  # the first points earn every reader a badge
    assert dict(wanted) == notes
    assert len({row.notification_id for row in outbox}) == len(outbox) == sum(notes.values())
    assert {(row.status, row.attempts) for row in outbox} == {("sent", 1)}
    received = Counter((to, subject) for to, subject, _id in inbox.messages)
    assert [key for key, n in received.items() if n > 1] == []
    assert Counter(to for to, _subject, _id in inbox.messages) == Counter(notes)
    assert len({message_id for _to, _subject, message_id in inbox.messages}) == len(inbox.messages)

    logs = parts.logs()
    assert "Traceback" not in logs and "[ERROR]" not in logs and " ERROR " not in logs, logs
    assert logs.count("Booting worker") == 4 and "scheduler on" in logs and "scheduler off" in logs, logs
