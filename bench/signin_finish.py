"""How long core's end of a campus sign-in takes: mapping, just-in-time account, identity link,
session (``core.identity.providers_signin.finish``), through a full request of the app.

A stand-in provider plugin's callback hands core a verified identity from the query string (the
campus server's own round trip is not measured: it is the server's time). This signs in N new
people (each makes an account and a link), then the same N again (each finds the link and updates
the mapped fields), and prints the median and p90 of each and the sign-ins per second.

    python bench/signin_finish.py                 # SQLite, a temporary file
    python bench/signin_finish.py --people 500 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

from flask import Blueprint, request, url_for
from sqlmodel import SQLModel

from core import create_app
from core.hookspecs import SignInProvider, VerifiedIdentity, hookimpl

MAPPING = {"display_name": "name", "email": "mail", "member_number": "number", "faculty": "college",
           "role_rules": "groups=staff -> librarian", "allow": "affiliation=student\naffiliation=staff"}


def stand_in_provider():
    from core.identity.providers_signin import finish

    bp = Blueprint("bench_signin", __name__, url_prefix="/bench-signin")

    @bp.route("/callback")
    def callback():
        return finish(VerifiedIdentity("bench", request.args["subject"], json.loads(request.args["attributes"])))

    def providers():
        return SignInProvider("bench", {"en": "Bench", "zh_Hans": "Bench"}, url_for("bench_signin.callback"),
                              default_mapping=MAPPING)

    return SimpleNamespace(NAME="bench_signin", VERSION="1", TITLE={"en": "Bench", "zh_Hans": "Bench"},
                           DESCRIPTION={"en": "Bench", "zh_Hans": "Bench"},
                           engage_blueprints=hookimpl(lambda: bp), engage_sign_in_providers=hookimpl(providers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite'}"
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "CREATE_TABLES": True, "SCHEMA_CHECK": False,
                      "REWARD_JOBS": False, "PLUGIN_ENTRY_POINT_GROUP": None},
                     plugins=(stand_in_provider(),), instance_path=str(folder / "instance"))
    engine = app.extensions["engage.db"].engine
    if args.database_url:
        SQLModel.metadata.drop_all(engine)
        SQLModel.metadata.create_all(engine)

    def sign_in(n: int, name: str) -> float:
        attributes = {"name": name, "mail": f"reader{n}@campus.edu", "number": f"S{n:06d}",
                      "college": "School of History", "affiliation": ["student"], "groups": ["readers"]}
        path = "/bench-signin/callback?" + urlencode({"subject": f"reader{n}", "attributes": json.dumps(attributes)})
        client = app.test_client()
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        return elapsed

    for n in range(20):  # warm up
        sign_in(10_000_000 + n, "Warm Up")
    first = [sign_in(n, f"Reader {n}") for n in range(args.people)]
    again = [sign_in(n, f"Reader {n} (renamed)") for n in range(args.people)]

    def line(what, times):
        p90 = statistics.quantiles(times, n=10)[-1]
        return (f"{what:>22}: median {statistics.median(times):6.2f} ms   p90 {p90:6.2f} ms   "
                f"{len(times) / (sum(times) / 1000):7.0f} sign-ins/s   ({len(times)} people)")

    print(line("first sign-in (JIT)", first))
    print(line("later sign-in (update)", again))


if __name__ == "__main__":
    main()
