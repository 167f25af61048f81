"""Database engine and sessions: SQLite (WAL, busy timeout, BEGIN IMMEDIATE for writes) or PostgreSQL.

One code path serves both. Requests that change state and every ``write_session`` open their
transaction with ``BEGIN IMMEDIATE`` on SQLite: a deferred BEGIN that later tries to write
fails with "database is locked" when several workers write at once, instead of waiting.

Writers on SQLite queue on a lock file beside the database (``<file>.writer``) before their
``BEGIN IMMEDIATE``: SQLite's own busy handler sleeps 25–100 ms between tries once a wait grows,
so under a burst of writes a waiter keeps missing its turn and slow requests pile up (a p99 of
several hundred milliseconds at a hundred writes a second); the lock file hands the turn on
within a millisecond of the COMMIT. It gives up, as SQLite would, after the busy timeout.
"""

from __future__ import annotations

import fcntl
import os
import time
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


BUSY_SECONDS = 30.0
WAL_CHECKPOINT_PAGES = 10_000
WAL_KEEP_BYTES = 64 * 1024 * 1024
CACHE_KIB = 32 * 1024
_WRITER = "engage_writer_lock"
_CHANGES = "engage_changes_at_begin"
# A write transaction changing at least this many rows syncs the log after its commit (_sync_log).
SYNC_ROWS = 200


def _writer_lock_path(engine: Engine) -> str | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database) + ".writer"


def _take_writer_lock(record, path: str) -> None:
    # ``record``: a pooled connection or its pool record; both carry the record's ``info``.
    """Wait for the database's writer lock (polling every millisecond, up to BUSY_SECONDS)."""
    from sqlalchemy.exc import OperationalError

    handle = record.info.get(_WRITER)
    if handle is None:
        handle = record.info[_WRITER] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            record.info[_WRITER + ".held"] = True
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked")) from None
            time.sleep(0.001)


def _release_writer_lock(record) -> None:
    if record is not None and record.info.pop(_WRITER + ".held", False):
        fcntl.flock(record.info[_WRITER], fcntl.LOCK_UN)


def _sync_log(path: str) -> None:
    """Have the OS write the log's pages to disk now (and wait for it): a checkpoint, which holds
    the writer's turn, first syncs the log, and would otherwise wait for every page written since
    the last one (about 40 MB at 10,000 frames). A large transaction syncs what it wrote after
    handing the turn on, while the next writer works."""
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:  # no log: nothing to sync
        return
    try:
        os.fdatasync(handle)
    finally:
        os.close(handle)


def _tune_sqlite(engine: Engine) -> None:
    lock_path = _writer_lock_path(engine)
    wal_path = lock_path and lock_path.removesuffix(".writer") + "-wal"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Checkpoint after 10,000 pages (about 40 MB) of log, not SQLite's 1,000. A batch that pays
        # many readers writes pages of each index keyed by reader, the same pages batch after
        # batch; a checkpoint copies each page once however often it was written since the last.
        # bench/inbound_events.py, second round: about 4,650 events/s at 1,000, 5,250 at 10,000.
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA journal_size_limit={WAL_KEEP_BYTES}")  # the log shrinks back after
        # A page cache of 32 MiB per connection instead of SQLite's 2 MiB (about 500 pages). A
        # batch of 500 inbound events changes about 1,800 pages: in 2 MiB SQLite writes changed
        # pages to the log before the commit to make room, writes them again when they change
        # once more, and reads evicted ones back. Batches timed in one process (as
        # bench/inbound_batch.py times them): 4 to 6% less time a batch, in each of five pairs.
        cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        if immediate and lock_path:
            _take_writer_lock(conn.connection, lock_path)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except BaseException:
            _release_writer_lock(conn.connection)
            raise
        if immediate and lock_path:  # the rows changed so far, for _on_commit to count this write's
            conn.connection.info[_CHANGES] = conn.connection.driver_connection.total_changes

    def _on_commit(conn):
        # Commit here, then hand the turn on: a writer let in while this COMMIT still writes its
        # pages to the log gets SQLITE_BUSY at its BEGIN IMMEDIATE and sleeps in SQLite's busy
        # handler (1, 2, 5 ms…). A batch of 500 inbound events writes about 1,800 pages; handed on
        # before its COMMIT, the next batch's BEGIN waited a median 8.7 ms. The driver's own commit
        # then finds nothing to do; if this COMMIT failed, the driver's tries again and reports
        # the error as SQLAlchemy does.
        record = conn.connection
        driver = record.driver_connection
        writing = record.info.get(_WRITER + ".held", False)  # only a write session holds the lock
        committed = False
        try:
            if lock_path and driver.in_transaction:
                driver.execute("COMMIT")
                committed = True
        except driver.Error:
            pass
        finally:
            _release_writer_lock(record)
        if committed and writing and driver.total_changes - record.info[_CHANGES] >= SYNC_ROWS:
            _sync_log(wal_path)

    def _on_rollback(conn):
        _release_writer_lock(conn.connection)  # just before the rollback, which is quick

    event.listen(engine, "commit", _on_commit)
    event.listen(engine, "rollback", _on_rollback)

    @event.listens_for(engine.pool, "reset")
    def _on_reset(_dbapi_connection, record, _reset_state):
        _release_writer_lock(record)

    @event.listens_for(engine.pool, "close")
    def _on_close(_dbapi_connection, record):
        _release_writer_lock(record)
        handle = record.info.pop(_WRITER, None)
        if handle is not None:
            os.close(handle)


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
