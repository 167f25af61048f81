"""The sign-in limit holds across gunicorn workers: with the default store (a SQLite file every
worker on the machine shares) and with Redis (RATELIMIT_STORAGE_URI=redis://…).

A real ``gunicorn -w 2`` on loopback; requests go in parallel over fresh connections so both
workers answer, which the access log (with each worker's pid) shows.
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from core.testing import make_app

LIMIT = 5
ATTEMPTS = 16
REDIS_URL = os.environ.get("ENGAGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/2")


class Gunicorn:
    """``gunicorn -w 2`` serving the app on a free loopback port, configured through ENGAGE_*."""

    def __init__(self, env: dict, folder: Path) -> None:
        self.log = folder / "gunicorn.log"
        self._log_file = self.log.open("w")
        command = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", "127.0.0.1:0", "--graceful-timeout", "5",
                   "--access-logfile", "-", "--access-logformat", "ACCESS %(p)s %(m)s %(U)s %(s)s",
                   "core:create_app()"]
        self.process = subprocess.Popen(command, env={**os.environ, **env}, stdout=self._log_file,
                                        stderr=subprocess.STDOUT, cwd=str(Path(__file__).parent.parent))
        try:
            self.port = self._wait_for_port()
        except BaseException:
            self.stop()
            raise

    def _wait_for_port(self) -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn stopped:\n" + self.log.read_text())
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", self.log.read_text())
            if found and self.log.read_text().count("Booting worker") >= 2:
                port = int(found.group(1))
                try:
                    if self.request("GET", "/auth/login", port=port)[0] == 200:
                        return port
                except OSError:
                    pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start:\n" + self.log.read_text())

    def request(self, method, path, body=None, headers=None, port=None):
        """One request on a fresh connection: (status, headers, body)."""
        connection = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers={"Connection": "close", **(headers or {})})
            response = connection.getresponse()
            return response.status, response.headers, response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def stop(self) -> str:
        """Stop the server (by its own pid) and return its log."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log_file.close()
        return self.log.read_text()


def _env(database_url: str, instance: Path, **extra) -> dict:
    return {"ENGAGE_DATABASE_URL": database_url, "ENGAGE_INSTANCE_PATH": str(instance),
            "ENGAGE_SECRET_KEY": "workers-test-secret", "ENGAGE_REWARD_JOBS": "false",
            "ENGAGE_LOGIN_RATE_LIMIT": f"{LIMIT} per minute", **extra}


def _failed_sign_ins(server: Gunicorn) -> list[int]:
    """ATTEMPTS wrong sign-ins from one address, each for another account, four at a time."""
    status, headers, page = server.request("GET", "/auth/login")
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def attempt(n: int) -> int:
        body = f"csrf_token={token}&email=reader{n}%40uni.edu&password=wrong"
        return server.request("POST", "/auth/login", body, {
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})[0]

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(attempt, range(ATTEMPTS)))


def _check(server: Gunicorn) -> None:
    try:
        codes = _failed_sign_ins(server)
    finally:
        log = server.stop()
    assert sorted(set(codes)) == [400, 429], codes
    assert codes.count(400) == LIMIT, f"{codes.count(400)} sign-ins got through a limit of {LIMIT}: {codes}"
    workers = {pid for pid, path in re.findall(r"ACCESS <(\d+)> POST (\S+) \d+", log) if path == "/auth/login"}
    assert len(workers) == 2, f"the POSTs were not spread over both workers:\n{log}"


@pytest.fixture
def prepared_database(database_url, tmp_path):
    """The tables made once, before two workers start."""
    app = make_app(database_url, tmp_path / "setup")
    app.extensions["engage.db"].dispose()
    return database_url


def test_the_default_store_holds_the_sign_in_limit_across_workers(prepared_database, tmp_path):
    instance = tmp_path / "instance"
    server = Gunicorn(_env(prepared_database, instance), tmp_path)
    _check(server)
    assert (instance / "ratelimits.sqlite").exists()


def test_redis_holds_the_sign_in_limit_across_workers(prepared_database, tmp_path):
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    prefix = f"engage-test-{uuid.uuid4().hex[:12]}"
    server = Gunicorn(_env(prepared_database, tmp_path / "instance", ENGAGE_RATELIMIT_STORAGE_URI=REDIS_URL,
                           ENGAGE_RATELIMIT_KEY_PREFIX=prefix), tmp_path)
    try:
        _check(server)
        assert list(client.scan_iter(f"*{prefix}*")), "nothing was counted in Redis"
        assert not (tmp_path / "instance" / "ratelimits.sqlite").exists()
    finally:
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
