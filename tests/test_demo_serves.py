"""The README's first command leaves a working demo at the address it prints, until it is stopped.

The test runs the README's demo line as written, in the checkout (so it reuses the checkout's
``.venv``: creating it again and ``pip install -e .`` are no-ops apart from a quick reinstall), with
the demo pointed elsewhere through the environment: ``ENGAGE_INSTANCE_PATH`` (a temporary folder,
so a new SQLite database and job queue), ``ENGAGE_DEMO_PORT`` (a free port) and
``ENGAGE_DEMO_STUDENTS`` (fewer students, to be quick). It waits for the printed address, signs in
as the printed student over HTTP, and stops the whole process group as Ctrl-C would.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_demo_command() -> str:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    marker = next(i for i, line in enumerate(lines) if line.startswith("<!-- demo command"))
    assert lines[marker + 1].startswith("```")
    return lines[marker + 2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_readme_demo_command_serves_until_stopped(tmp_path):
    command = readme_demo_command()
    assert command.endswith("engage demo")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENGAGE_", "PYTEST_"))}
    env |= {"ENGAGE_INSTANCE_PATH": str(tmp_path / "instance"), "ENGAGE_DEMO_PORT": str(port),
            "ENGAGE_DEMO_STUDENTS": "12"}
    process = subprocess.Popen(command, shell=True, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)
    reader.start()
    try:
        text = lambda: "".join(output)  # noqa: E731
        address = student = None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            found = re.search(r"Library Engage demo: (http://\S+)", text())
            login = re.search(r"student\s+(\S+@demo\.library)\s+password: (\S+)", text())
            if found and login:
                address, student = found.group(1), login.groups()
                break
            time.sleep(0.5)
        assert address == f"http://127.0.0.1:{port}/", text()[-3000:]

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                page = opener.open(address + "auth/login", timeout=10).read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert page is not None, text()[-3000:]
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"email": student[0], "password": student[1], "csrf_token": token}).encode()
        home = opener.open(urllib.request.Request(address + "auth/login", data=form), timeout=30)
        assert home.status == 200 and home.url.rstrip("/") == address.rstrip("/")
        me = opener.open(address + "me", timeout=30)
        assert me.url == address + "me"  # signed in: not sent to the sign-in page
        assert 'action="/auth/logout"' in me.read().decode()
        while time.monotonic() < deadline and not ("Worker " in text() and "scheduler on" in text()):
            time.sleep(0.5)  # the worker may still be starting while gunicorn already answers
        assert "Worker " in text() and "scheduler on" in text()  # the job worker runs beside gunicorn
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C does to the terminal's process group
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            pytest.fail("the demo did not stop on Ctrl-C")
    reader.join(5)
    with pytest.raises(OSError):  # nothing is left listening
        urllib.request.urlopen(address, timeout=2)
    assert "Stopping" in "".join(output)


def test_the_demo_table_aligns_chinese_names_by_their_display_width():
    from wcwidth import wcswidth

    from core.serving import table as _table

    lines = _table([("admin", "admin@demo.library", "password: x"), ("screen", "大厅", "http://a/screen/1"),
                    ("screen", "Lobby", "http://a/screen/2")])
    columns = {wcswidth(line[:line.index("http")]) for line in lines[1:]} | {wcswidth(lines[0][:lines[0].index("password")])}
    assert len(columns) == 1, lines  # the last column starts at the same place on every line
