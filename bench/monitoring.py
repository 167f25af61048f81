"""What monitoring costs: /healthz and /metrics answers, and the per-request overhead of the
request id, the metrics and the log line, through Flask's test client in one process.

    python bench/monitoring.py [--requests 2000] [--database-url postgresql+psycopg://…] 2>/dev/null

Prints requests per second and mean microseconds for: /healthz; /metrics; a light page (the
sign-in form) with monitoring as configured by default and with the request metrics and the
request log turned off (the request id is always made). The difference is the overhead.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from core.testing import make_app


def timed(client, path: str, n: int) -> float:
    """Mean seconds per request over ``n`` requests (after a short warm-up)."""
    for _ in range(20):
        client.get(path, buffered=True)
    started = time.perf_counter()
    for _ in range(n):
        response = client.get(path, buffered=True)
        assert response.status_code == 200, (path, response.status_code)
    return (time.perf_counter() - started) / n


def best_of(cases, n: int, rounds: int = 10) -> list[float]:
    """Each case's best mean over ``rounds`` rounds, the cases taking turns (a busy machine
    slows them alike instead of whichever ran last)."""
    best = [float("inf")] * len(cases)
    for _ in range(rounds):
        for i, (client, path) in enumerate(cases):
            best[i] = min(best[i], timed(client, path, max(1, n // rounds)))
    return best


def bookkeeping(app, n: int = 20000) -> tuple[float, float]:
    """Microseconds to count one request (counter + histogram) and to write its log line."""
    from core.monitoring import logs

    collector = app.extensions["engage.metrics"]
    started = time.perf_counter()
    for _ in range(n):
        collector.observe("auth.login", "GET", 200, 0.01)
    counting = (time.perf_counter() - started) / n * 1e6
    started = time.perf_counter()
    for _ in range(n):
        logs.request_line(method="GET", path="/auth/login", status=200, seconds=0.01, user_id=None, quiet=False)
    return counting, (time.perf_counter() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="engage-bench-monitoring-"))
    url = args.database_url or f"sqlite:///{folder / 'engage.sqlite'}"
    on = make_app(url, folder / "on", TESTING=False)
    off = make_app(url, folder / "off", TESTING=False, METRICS_ENABLED=False, LOG_REQUESTS=False)
    cases = [("/healthz", on, "/healthz"), ("/metrics", on, "/metrics"),
             ("/auth/login, monitoring on", on, "/auth/login"),
             ("/auth/login, metrics and request log off", off, "/auth/login")]
    best = best_of([(app.test_client(), path) for _label, app, path in cases], args.requests)
    print(f"database: {on.extensions['engage.db'].engine.dialect.name}; {args.requests} requests each, "
          "best of 10 rounds")
    for (label, _app, _path), seconds in zip(cases, best):
        print(f"{label:45} {1 / seconds:8.0f} req/s {seconds * 1e6:8.0f} µs/request")
    counting, line = bookkeeping(on)
    print(f"per request: counting {counting:.1f} µs, log line {line:.1f} µs (to /dev/null)")


if __name__ == "__main__":
    main()
