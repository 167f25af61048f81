"""How long registering takes for a new email and for a taken one, with the real argon2 settings.

Registration must not tell a stranger whether an address has an account, by its answer or by its
time: both paths check the password and hash it once. This posts the registration form N times
for new addresses and N times for one taken address, alternating, and prints the median and p90
of each and their difference.

    python bench/registration_timing.py            # SQLite, a temporary file
    python bench/registration_timing.py --rounds 40 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlmodel import SQLModel

from core import create_app

FORM = {"display_name": "Timing", "locale": "en", "password": "quiet lantern orchard 42",
        "confirm": "quiet lantern orchard 42"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite'}"
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "CREATE_TABLES": True, "SCHEMA_CHECK": False,
                      "REWARD_JOBS": False, "PLUGIN_ENTRY_POINT_GROUP": None},
                     instance_path=str(folder / "instance"))
    engine = app.extensions["engage.db"].engine
    if args.database_url:
        SQLModel.metadata.drop_all(engine)
        SQLModel.metadata.create_all(engine)
    client = app.test_client()
    client.post("/auth/register", data=FORM | {"email": "taken@bench.library"})
    new, taken = [], []
    for n in range(args.rounds + 2):
        for email, into in ((f"new{n}@bench.library", new), ("taken@bench.library", taken)):
            started = time.perf_counter()
            response = client.post("/auth/register", data=FORM | {"email": email})
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 302, response.status_code
            if n >= 2:  # the first two rounds warm up
                into.append(elapsed)

    def line(name, times):
        p90 = statistics.quantiles(times, n=10)[-1]
        return f"{name:>6}: median {statistics.median(times):7.1f} ms   p90 {p90:7.1f} ms   ({len(times)} requests)"

    print(line("new", new))
    print(line("taken", taken))
    print(f"median difference (taken - new): {statistics.median(taken) - statistics.median(new):+.1f} ms")
    if args.database_url:
        SQLModel.metadata.drop_all(engine)


if __name__ == "__main__":
    main()
