"""The app served for a benchmark: gunicorn on loopback, started and stopped by a ``with`` block."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(env: dict, *, workers: int, worker_class: str = "sync", threads: int | None = None,
             timeout: int | None = None, port: int | None = None, quiet: bool = False):
    """``core:create_app()`` under gunicorn with the environment ``env``, on ``port`` (default: a
    free one). Yields the port once the server accepts connections; stops the server after."""
    port = port or free_port()
    command = [str(Path(sys.executable).with_name("gunicorn")), "-w", str(workers), "-k", worker_class,
               "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    if threads:
        command += ["--threads", str(threads)]
    if timeout:
        command += ["--timeout", str(timeout)]
    output = subprocess.DEVNULL if quiet else None
    server = subprocess.Popen([*command, "core:create_app()"], cwd=ROOT, env=env, stdout=output, stderr=output)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None:
                    sys.exit(f"gunicorn stopped at start (exit {server.returncode})")
                time.sleep(0.1)
        else:
            sys.exit("gunicorn did not start")
        yield port
    finally:
        server.terminate()
        server.wait(30)


def send_all(bodies: list, send, clients: int) -> tuple[float, list[float], list]:
    """Send every body with ``send(body)`` from ``clients`` threads, each taking the next body when
    it is free. Returns the wall time in seconds, the latencies sorted, and what ``send`` returned
    for each body (in the order they finished)."""
    pending, latencies, answers, lock = list(reversed(bodies)), [], [], threading.Lock()

    def client():
        while True:
            with lock:
                if not pending:
                    return
                body = pending.pop()
            started = time.perf_counter()
            answer = send(body)
            took = time.perf_counter() - started
            with lock:
                latencies.append(took)
                answers.append(answer)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, sorted(latencies), answers


def p99(latencies: list[float]) -> float:
    """The 99th percentile of sorted ``latencies`` (the largest, for fewer than a hundred)."""
    return latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
