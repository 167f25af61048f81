"""/metrics under a real ``gunicorn -w 2`` (with the checkout's gunicorn.conf.py): whichever worker
answers, the counts are those of both workers; the logs are JSON lines with the request ids.

Nothing here depends on the database, so it runs once, in the SQLite pass.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from core.testing import PG_URL, make_app

REQUESTS = 40

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="does not depend on the database: runs once, in the SQLite pass")


def _request(port: int, path: str, headers: dict | None = None):
    """One request on a fresh connection (so both workers get some): (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Connection": "close", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


def _count(text: str, endpoint: str, status: int) -> float:
    pattern = rf'^engage_http_requests_total\{{endpoint="{re.escape(endpoint)}",method="GET",status="{status}"\}} (\S+)$'
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


@pytest.fixture
def server(database_url, tmp_path):
    """``gunicorn -w 2`` on a free loopback port, its access log naming each worker's pid."""
    make_app(database_url, tmp_path / "setup").extensions["engage.db"].dispose()  # the tables, once
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "ENGAGE_DATABASE_URL": database_url, "ENGAGE_INSTANCE_PATH": str(tmp_path / "instance"),
           "ENGAGE_SECRET_KEY": "monitoring-test", "ENGAGE_REWARD_JOBS": "false",
           "ENGAGE_LOG_FORMAT": "json"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # gunicorn.conf.py makes one
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", "127.0.0.1:0", "--graceful-timeout", "5",
             "--access-logfile", "-", "--access-logformat", "ACCESS %(p)s %(U)s", "core:create_app()"],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(Path(__file__).parent.parent))
        try:
            port = None
            deadline = time.monotonic() + 60
            while port is None and time.monotonic() < deadline:
                if process.poll() is not None:
                    raise RuntimeError("gunicorn stopped:\n" + log.read_text())
                text = log.read_text()
                found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
                if found and text.count("Booting worker") >= 2:
                    try:
                        _request(int(found.group(1)), "/healthz")
                        port = int(found.group(1))
                    except OSError:
                        time.sleep(0.2)
                else:
                    time.sleep(0.2)
            assert port, "gunicorn did not start:\n" + log.read_text()
            yield port, log
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _pids(log: Path, path: str) -> set[str]:
    return {pid for pid, seen in re.findall(r"ACCESS <(\d+)> (\S+)", log.read_text()) if seen == path}


def test_metrics_add_up_every_worker(server):
    port, log = server
    answers = []
    # Fresh connections in batches until both workers have answered some (which worker accepts a
    # connection is the kernel's choice; on a busy machine one may take a whole batch).
    for _batch in range(10):
        with ThreadPoolExecutor(4) as pool:
            answers += pool.map(lambda _n: _request(port, "/auth/login"), range(REQUESTS))
        time.sleep(0.3)  # the access log line is written as gunicorn closes each answer
        if len(_pids(log, "/auth/login")) == 2:
            break
    assert len(_pids(log, "/auth/login")) == 2, f"the requests were not spread over both workers:\n{log.read_text()}"
    assert {status for status, _headers, _body in answers} == {200}
    request_ids = {headers["X-Request-ID"] for _status, headers, _body in answers}
    assert len(request_ids) == len(answers)

    totals = []
    for _batch in range(10):  # fresh connections, several at once, until both workers have answered /metrics
        with ThreadPoolExecutor(4) as pool:  # (one at a time, the same worker may take them all)
            for status, _headers, text in pool.map(lambda _n: _request(port, "/metrics"), range(8)):
                assert status == 200
                totals.append(_count(text, "auth.login", 200))
        time.sleep(0.3)
        if len(_pids(log, "/metrics")) == 2:
            break
    assert totals == [len(answers)] * len(totals), totals
    assert len(_pids(log, "/metrics")) == 2, f"only one worker answered /metrics:\n{log.read_text()}"
    text = log.read_text()

    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    logged = {line["request_id"] for line in lines if line.get("logger") == "engage.request"
              and line.get("path") == "/auth/login" and line.get("status") == 200}
    assert logged == request_ids


def test_health_under_gunicorn(server):
    port, _log = server
    status, headers, body = _request(port, "/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    assert "Set-Cookie" not in headers


def test_a_worker_sets_the_app_it_built_aside_from_the_garbage_collector():
    """gunicorn.conf.py freezes what a worker holds once its app is built, so full collections
    during requests no longer walk the routes, tables and catalogues."""
    import gc
    import runpy

    before = dict(os.environ)
    settings = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    settings["_remove_metrics_folder"]()  # the file makes a metrics folder when none is set
    os.environ.clear()
    os.environ.update(before)
    gc.unfreeze()
    try:
        settings["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
