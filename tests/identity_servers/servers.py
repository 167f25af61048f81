"""Fixtures that start real sign-in servers on free loopback ports for the sign-in tests:
django-cas-server (cas/serve.py), the npm oidc-provider (oidc/provider.mjs, installed by .ci/run
with ``npm ci``) and a throwaway Debian slapd (ldap/). Import the fixtures into a conftest.

The servers, not the database, are under test: tests using them are marked ``identity_servers``
and run once, in the SQLite pass (``run_once``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
PG_URL = os.environ.get("ENGAGE_TEST_DATABASE_URL")
run_once = [pytest.mark.identity_servers,
            pytest.mark.skipif(bool(PG_URL), reason="a real sign-in server is under test, not the database: "
                                                    "runs in the SQLite pass")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped at start-up:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not listen on {port} within {seconds}s:\n{log.read_text(errors='replace')}")


def start(command: list[str], port: int, folder: Path, env: dict | None = None) -> subprocess.Popen:
    log = folder / "server.log"
    process = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=folder,
                               env={**os.environ, **(env or {})})
    try:
        wait_for_port(port, process, log)
    except Exception:
        process.kill()
        raise
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def cas_server(tmp_path_factory):
    """django-cas-server accepting this site's callback on any loopback port; yields its address
    (ending in ``/cas/``). Users and attributes: cas/accounts.py."""
    folder = tmp_path_factory.mktemp("cas")
    port = free_port()
    pattern = r"^http://(localhost|127\.0\.0\.1)(:\d+)?/signin/cas/callback.*$"
    process = start([sys.executable, str(HERE / "cas" / "serve.py"), str(port), pattern], port, folder,
                    {"CAS_TEST_DIR": str(folder)})
    yield f"http://127.0.0.1:{port}/cas/"
    stop(process)


def _node_provider() -> Path:
    script = HERE / "oidc" / "provider.mjs"
    if not (HERE / "oidc" / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("npm oidc-provider is missing: run `npm ci` in tests/identity_servers/oidc (.ci/run does)")
    if not shutil.which("node"):
        pytest.fail("node is missing (.ci/run installs it)")
    return script


@pytest.fixture(scope="session")
def oidc_factory(tmp_path_factory):
    """Start oidc-provider for these redirect addresses; returns its issuer. Users: oidc/provider.mjs."""
    processes = []

    def start_provider(redirect_uris: list[str], post_logout_uris: list[str] = ()) -> str:
        script = _node_provider()
        folder = tmp_path_factory.mktemp("oidc")
        port = free_port()
        processes.append(start(["node", str(script), str(port), ",".join(redirect_uris), ",".join(post_logout_uris)],
                               port, folder))
        return f"http://127.0.0.1:{port}"

    yield start_provider
    for process in processes:
        stop(process)


@pytest.fixture(scope="session")
def oidc_server(oidc_factory):
    """oidc-provider for the test client's callback (http://localhost/signin/oidc/callback)."""
    return oidc_factory(["http://localhost/signin/oidc/callback"], ["http://localhost/"])


@pytest.fixture(scope="session")
def silent_server():
    """A server that accepts connections and never answers: a campus server that hangs."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(50)
    held, running = [], True

    def accept():
        while running:
            try:
                conn, _ = sock.accept()
                held.append(conn)
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    running = False
    sock.close()
    for conn in held:
        conn.close()


@pytest.fixture(scope="session")
def closed_port_url():
    """An address where nothing listens: a campus server that is down."""
    return f"http://127.0.0.1:{free_port()}/"


def _slapd() -> str:
    for path in ("/usr/sbin/slapd", shutil.which("slapd") or ""):
        if path and Path(path).exists():
            return path
    pytest.fail("Debian's slapd is missing: apt-get install slapd ldap-utils (.ci/run does)")


@pytest.fixture(scope="session")
def ldap_server(tmp_path_factory):
    """A throwaway slapd with the people of ldap/directory.ldif; yields its ``ldap://`` address.
    Base: ``ou=people,dc=campus,dc=edu``; a search account ``cn=reader,dc=campus,dc=edu`` / ``reader-pw``."""
    slapd = _slapd()
    folder = tmp_path_factory.mktemp("slapd")
    (folder / "data").mkdir()
    conf = folder / "slapd.conf"
    conf.write_text((HERE / "ldap" / "slapd.conf.template").read_text().replace("{folder}", str(folder)))
    subprocess.run([str(Path(slapd).with_name("slapadd")), "-f", str(conf), "-l", str(HERE / "ldap" / "directory.ldif")],
                   check=True, capture_output=True)
    port = free_port()
    process = start([slapd, "-f", str(conf), "-h", f"ldap://127.0.0.1:{port}/", "-d", "0"], port, folder)
    yield f"ldap://127.0.0.1:{port}"
    stop(process)
