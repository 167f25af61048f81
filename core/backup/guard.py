"""What a database holds, so the demo and ``init-db --drop`` never destroy or mix into a real library.

A database is *empty* when no one has made anything in it yet, a *demo* when every account in it
is one of the demo's (``…@demo.library``; ``engage demo`` also writes the marker counter
``demo_library``), and *a library* otherwise. ``engage demo`` only populates an empty database
and only throws away (``--reset``) a demo; ``engage init-db --drop`` only drops a demo or an
empty database. ``--destroy-non-demo-data`` (the one documented way past this) lets the last two
throw a library away; nothing ever adds the demo's accounts, with their published password, to a
library.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

DEMO_DOMAIN = "@demo.library"
MARKER = "demo_library"
FLAG = "--destroy-non-demo-data"


@dataclass(frozen=True)
class Contents:
    kind: str              # "empty", "demo" or "library"
    other_users: int = 0   # accounts that are not the demo's
    rows: int = 0          # rows beyond the bookkeeping every new database has

    def describe(self) -> str:
        if self.other_users:
            return f"{self.other_users} accounts that are not the demo's"
        return f"{self.rows} rows that the demo did not make"


def survey(connection: sa.Connection) -> Contents:
    """Classify the database behind ``connection`` (works at any schema revision)."""
    from core.backup.service import holdings

    tables = set(sa.inspect(connection).get_table_names())
    held = holdings(connection) if tables else {}
    if not held:
        return Contents("empty")
    rows = sum(held.values())
    if "core_user" not in tables:
        return Contents("library", rows=rows)
    others = connection.execute(sa.text("SELECT count(*) FROM core_user WHERE lower(email) NOT LIKE :demo"),
                                {"demo": "%" + DEMO_DOMAIN}).scalar()
    if others:
        return Contents("library", other_users=others, rows=rows)
    demo_users = held.get("core_user", 0)
    marked = "core_counter" in tables and connection.execute(
        sa.text("SELECT count(*) FROM core_counter WHERE name = :marker"), {"marker": MARKER}).scalar()
    return Contents("demo" if demo_users or marked else "library", rows=rows)


def survey_url(url: str) -> Contents:
    """``survey`` through a short-lived engine of its own."""
    from core.migrations.runner import migration_engine

    engine = migration_engine(url)
    try:
        with engine.connect() as connection:
            return survey(connection)
    finally:
        engine.dispose()


class NotADemo(RuntimeError):
    """The database holds a library, not the demo; ``str()`` says what to do."""


def refuse_unless_demo(url: str, *, action: str, destroy_allowed: bool, can_destroy: bool) -> Contents:
    """Raise NotADemo when the database at ``url`` holds a library.

    ``action`` names what was asked; ``can_destroy`` says whether the command throws the data away
    (``--reset``, ``--drop``), where ``destroy_allowed`` (the flag) lets it go on.
    """
    contents = survey_url(url)
    if contents.kind != "library":
        return contents
    if can_destroy and destroy_allowed:
        return contents
    message = (f"This database holds a library, not the demo ({contents.describe()}), so `{action}` leaves it "
               "alone. Point ENGAGE_DATABASE_URL at another database for the demo")
    if can_destroy:
        message += f", or add {FLAG} to throw every row of this one away (back it up first: `engage backup FILE`)."
    else:
        message += (f"; the demo's accounts never join a real library (to throw this one away instead: "
                    f"`engage demo --reset {FLAG}`).")
    raise NotADemo(message)
