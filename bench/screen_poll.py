"""Benchmark: a library screen's slide polling, the 304 path and the fragment path.

Builds a SQLite database under bench/results/ with the demo data (``--students`` users and
their points) and one screen with the all-time, week and a cohort board, starts gunicorn
with ``--workers`` sync workers on loopback, and measures with ``wrk`` (``apt-get install
wrk``) for ``--seconds`` each:

* the fragment path: ``GET /screen/<token>/slide?n=0`` without If-None-Match, as a TV that
  was just switched on asks; each worker answers it with the fragment it rendered for the
  current ETag (then again with that cache off, ``ENGAGE_SCREEN_FRAGMENT_CACHE=0``: a query
  and a render every time);
* the 304 path: the same request with the fragment's ETag in If-None-Match.

Targets (DESIGN.md, 2-core machine): fragment ≥ 1,000 req/s with p99 ≤ 25 ms; 304 ≥ 3,000 req/s.

    python bench/screen_poll.py [--students 500] [--workers 2] [--seconds 10] [--connections 8]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

from _serve import gunicorn  # noqa: E402  (bench/ is the script's own folder)


def build(instance: Path, students: int) -> str:
    """A fresh database with demo data and one screen; returns the screen's URL path."""
    import core.accounts
    from argon2 import PasswordHasher

    core.accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # set-up only
    from core import boards, create_app
    from core.demo import populate
    from core.migrations import upgrade
    from core.models import Screen
    from core.screens import make_token

    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    app = create_app({"SECRET_KEY": "bench-screen", "DATABASE_URL": f"sqlite:///{instance / 'engage.sqlite'}"},
                     instance_path=str(instance), check_schema=False)
    upgrade(app)  # the schema as `engage db upgrade` makes it (gunicorn's workers check it)
    db = app.extensions["engage.db"]
    with app.app_context():
        populate(db, students=students)
        with db.write_session() as session:
            cohort = boards.cohorts(session)[0]
            screen = Screen(name="Bench lobby", locale="en", seconds_per_slide=10,
                            slides=json.dumps(["board:all", "board:week", f"board:cohort:{cohort}"]))
            session.add(screen)
            session.flush()
            token = make_token(screen)
    db.dispose()
    return f"/screen/{token}/slide?n=0"


def wrk(url: str, seconds: int, connections: int, headers: dict | None = None) -> dict:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label):
        m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rate": rate, "p50": ms("50"), "p99": ms("99"), "errors": int(non2xx.group(1)) if non2xx else 0}


def serve_and_measure(opts, env: dict, path: str, *, with_304: bool):
    """Start gunicorn with ``env``, warm it, and measure the fragment path (and the 304 path)."""
    with gunicorn(env, workers=opts.workers, port=opts.port):
        url = f"http://127.0.0.1:{opts.port}{path}"
        with urllib.request.urlopen(url) as response:
            etag = response.headers["ETag"]
        wrk(url, 2, opts.connections)  # warm both workers
        fragment = wrk(url, opts.seconds, opts.connections)
        not_modified = wrk(url, opts.seconds, opts.connections, {"If-None-Match": etag}) if with_304 else None
    return fragment, not_modified


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    opts = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    instance = RESULTS / "screen-poll"
    path = build(instance, opts.students)
    env = {**os.environ, "ENGAGE_INSTANCE_PATH": str(instance), "ENGAGE_SECRET_KEY": "bench-screen",
           "ENGAGE_DATABASE_URL": f"sqlite:///{instance / 'engage.sqlite'}"}
    cached, not_modified = serve_and_measure(opts, env, path, with_304=True)
    rendered, _ = serve_and_measure(opts, {**env, "ENGAGE_SCREEN_FRAGMENT_CACHE": "0"}, path, with_304=False)
    print(f"gunicorn {opts.workers} sync workers, {opts.students} demo students, wrk -c{opts.connections}, "
          f"{opts.seconds}s each")
    for label, result, target in (
            ("fragment (served as rendered for its ETag)", cached, "target ≥ 1000 req/s, p99 ≤ 25 ms"),
            ("fragment (rendered every time, cache off)", rendered, "for comparison"),
            ("304 (If-None-Match)", not_modified, "target ≥ 3000 req/s")):
        print(f"{label:<44} {result['rate']:8.0f} req/s  p50 {result['p50']:.2f} ms  p99 {result['p99']:.2f} ms"
              f"   {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
