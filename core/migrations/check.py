"""The start-up check: the app refuses a database whose schema is not the one its code expects.

One query (the version table's rows) against heads read once per process. A database that is
empty, made before migrations or behind gets a message naming ``engage db upgrade``; one at
revisions this code does not know (a newer release) is refused too.
"""

from __future__ import annotations

import sys

from flask import Flask
from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from core.migrations.scripts import VERSION_TABLE, branch_folders, cached_heads

UPGRADE = "engage db upgrade"


class SchemaNotCurrent(SystemExit):
    """The database's schema is not this code's: the app must not start.

    A SystemExit with status 4 (gunicorn's "app failed to load", which stops the server instead
    of restarting workers), so a server stops with the message alone, not a traceback.
    """

    def __init__(self, message: str) -> None:
        super().__init__(4)
        self.message = message

    def __str__(self) -> str:
        return self.message


def unknown_message(unknown) -> str:
    """Why a database at revisions this code does not know is refused."""
    return (f"The database is at revision {', '.join(unknown)}, which this installation does not know: "
            "a newer release of Library Engage upgraded it, or a plugin that is not installed here "
            "(or failed to load). Install that release or plugin.")


def schema_problem(app: Flask) -> str | None:
    """Why ``app``'s database cannot be used as it is, or None when it is at every head."""
    heads = cached_heads(branch_folders(app.extensions["engage.plugins"]))
    try:
        connection = app.extensions["engage.db"].engine.connect()
    except OperationalError as exc:
        return f"The database cannot be reached ({exc.orig})."
    with connection:
        try:
            current = set(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
        except (OperationalError, ProgrammingError):
            connection.rollback()
            tables = inspect(connection).get_table_names()
            if VERSION_TABLE in tables:
                raise  # not a missing table: let the real error show
            if any(name.startswith("core_") for name in tables):
                return (f"The database was made by a release from before schema migrations. Run `{UPGRADE}` "
                        "to bring it up to date; it keeps every row and says what it changed.")
            return f"The database is empty. Run `{UPGRADE}` to create its tables."
    unknown = sorted(current - heads.known)
    if unknown:
        return unknown_message(unknown)
    if current != heads.at_heads:
        return (f"The database schema is behind this release (`engage db current` lists what is pending). "
                f"Run `{UPGRADE}`.")
    return None


def require_current(app: Flask) -> None:
    """Stop the process (``SchemaNotCurrent``) unless the database is at every head; says why on stderr."""
    problem = schema_problem(app)
    if problem:
        url = app.extensions["engage.db"].engine.url.render_as_string(hide_password=True)
        message = f"Library Engage cannot start with the database {url}: {problem}"
        print(message, file=sys.stderr, flush=True)
        raise SchemaNotCurrent(message)
