"""How long the forgotten-password form takes for a known and an unknown address, and how long
"My data" takes to export a reader with a long points history.

The reset form must not tell a stranger whether an address has an account, by its answer or by
its time. This posts the form N times for a known address and N times for an unknown one,
alternating (the known one is let through the five-minute gap each time), and prints the median
and p90 of each. Then it gives one reader ``--entries`` ledger rows and times the ZIP export.

    python bench/account_reset_timing.py            # SQLite, a temporary file
    python bench/account_reset_timing.py --rounds 40 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlmodel import SQLModel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import create_app  # noqa: E402
from core.accounts import create_user  # noqa: E402
from core.mail.models import MailOutbox  # noqa: E402
from core.models import PointEntry  # noqa: E402
from core.points import award  # noqa: E402

PASSWORD = "quiet lantern orchard 42"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    url = args.database_url
    if url:
        from _pg import fresh_schema_url

        url = fresh_schema_url(url, "engage_bench_account")
    url = url or f"sqlite:///{folder / 'bench.sqlite'}"
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "CREATE_TABLES": True, "SCHEMA_CHECK": False,
                      "REWARD_JOBS": False, "PLUGIN_ENTRY_POINT_GROUP": None, "MAIL_JOBS": False,
                      "MAIL_BACKEND": "locmem", "PUBLIC_BASE_URL": "https://engage.bench"},
                     instance_path=str(folder / "instance"))
    database = app.extensions["engage.db"]
    SQLModel.metadata.create_all(database.engine)
    with app.app_context(), database.write_session() as session:
        reader = create_user(session, email="known@bench.library", password=PASSWORD, display_name="Known")
    client = app.test_client()
    known, unknown = [], []
    for n in range(args.rounds + 2):
        for email, into in (("known@bench.library", known), (f"nobody{n}@bench.library", unknown)):
            with database.write_session() as session:  # let the known address through the five-minute gap
                session.execute(delete(MailOutbox))
            started = time.perf_counter()
            response = client.post("/auth/reset", data={"email": email})
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.status_code
            if n >= 2:
                into.append(elapsed)

    def line(name, times):
        p90 = statistics.quantiles(times, n=10)[-1]
        return f"{name:>8}: median {statistics.median(times):7.2f} ms   p90 {p90:7.2f} ms   ({len(times)} requests)"

    print("reset form")
    print(line("known", known))
    print(line("unknown", unknown))
    with app.app_context(), database.write_session() as session:
        for n in range(args.entries):
            award(session, user_id=reader.id, amount=1 + n % 7, rule="read", plugin="core", idempotency_key=f"b{n}")
    client.post("/auth/login", data={"email": "known@bench.library", "password": PASSWORD})
    started = time.perf_counter()
    response = client.get("/account/data/export")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    with database.session() as session:
        rows = session.execute(select(func.count()).select_from(PointEntry)).scalar_one()
    print(f"my-data export: {rows} ledger rows -> {len(response.data) / 1024:.0f} KiB ZIP in {elapsed * 1000:.0f} ms")


if __name__ == "__main__":
    main()
