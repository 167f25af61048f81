"""Database engine and sessions: SQLite (WAL, busy timeout, BEGIN IMMEDIATE for writes) or PostgreSQL.

One code path serves both. Requests that change state and every ``write_session`` open their
transaction with ``BEGIN IMMEDIATE`` on SQLite: a deferred BEGIN that later tries to write
fails with "database is locked" when several workers write at once, instead of waiting.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_IMMEDIATE = "engage_immediate"


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine tuned for ``url``'s database."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """The app's engine plus a session factory for reads and one for writes."""

    def __init__(self, url: str, **engine_kwargs) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._write_engine = self.engine.execution_options(**{_IMMEDIATE: True})

    def session(self, *, write: bool = False) -> Session:
        """A new session; ``write=True`` takes SQLite's write lock when its transaction begins."""
        return Session(self._write_engine if write else self.engine, expire_on_commit=False)

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error."""
        with self.session(write=True) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def create_all(self) -> None:
        """Create every table known to the models (tests only: Alembic owns the schema, `engage db upgrade`)."""
        SQLModel.metadata.create_all(self.engine)

    def drop_all(self) -> None:
        """Drop every table known to the models; used by tests."""
        SQLModel.metadata.drop_all(self.engine)

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


def init_app(app: Flask) -> None:
    """Attach the database and a per-request session in ``g``."""
    app.extensions["engage.db"] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_request_session)


def get_db() -> Database:
    """The current app's Database."""
    return current_app.extensions["engage.db"]


def get_session() -> Session:
    """The session of the current request, opened on first use (write-locking for POST and friends)."""
    if "db_session" not in g:
        write = has_request_context() and request.method not in SAFE_METHODS
        g.db_session = get_db().session(write=write)
    return g.db_session


def _close_request_session(exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        if exc is not None:
            session.rollback()
        session.close()
