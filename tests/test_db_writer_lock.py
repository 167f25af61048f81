"""SQLite writers queue on a lock file beside the database (core.db): a writer waits for the one
before it and goes on within milliseconds of its end, and gives up like SQLite after the busy
timeout; readers never wait for it. And every connection's settings."""

from __future__ import annotations

import fcntl
import os
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import core.db
from core.db import Database


@pytest.fixture
def database(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'lock.sqlite'}")
    with db.write_session() as session:
        session.execute(text("CREATE TABLE t (n INTEGER)"))
    yield db
    db.dispose()


def hold_writer_lock(path):
    """Take the lock as another process would (its own open file)."""
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def test_a_writer_waits_for_the_lock_and_goes_on_as_soon_as_it_is_free(database, tmp_path):
    handle = hold_writer_lock(str(tmp_path / "lock.sqlite.writer"))
    done = []

    def write():
        with database.write_session() as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
        done.append(time.monotonic())

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.2)
    assert not done  # still waiting
    with database.session() as session:  # readers do not wait
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 0
    released = time.monotonic()
    fcntl.flock(handle, fcntl.LOCK_UN)
    os.close(handle)
    writer.join(5)
    assert done and done[0] - released < 0.1
    with database.session() as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 1


def test_the_lock_is_free_again_after_a_commit_a_rollback_or_an_error(database, tmp_path):
    with database.write_session() as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
    with pytest.raises(ZeroDivisionError), database.write_session() as session:
        session.execute(text("INSERT INTO t VALUES (2)"))
        1 / 0
    session = database.session(write=True)
    session.execute(text("INSERT INTO t VALUES (3)"))
    session.close()  # returned to the pool unfinished: rolled back, lock released
    handle = os.open(str(tmp_path / "lock.sqlite.writer"), os.O_RDWR)
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # would raise if anyone still held it
    os.close(handle)
    with database.session() as session:
        assert session.execute(text("SELECT n FROM t")).scalars().all() == [1]


def test_a_writer_gives_up_after_the_busy_timeout_as_sqlite_would(database, tmp_path, monkeypatch):
    monkeypatch.setattr(core.db, "BUSY_SECONDS", 0.2)
    handle = hold_writer_lock(str(tmp_path / "lock.sqlite.writer"))
    try:
        with pytest.raises(OperationalError, match="database is locked"), database.write_session() as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        os.close(handle)
    with database.write_session() as session:  # and the next one gets it
        session.execute(text("INSERT INTO t VALUES (2)"))


def test_many_threads_write_in_turn_and_none_is_lost(database):
    def write(n):
        for i in range(20):
            with database.write_session() as session:
                session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n * 100 + i})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with database.session() as session:
        assert session.execute(text("SELECT count(DISTINCT n) FROM t")).scalar() == 120


def test_the_turn_is_handed_on_only_once_the_commit_is_written(database, monkeypatch):
    """The lock is released after SQLite's COMMIT, not before: the next writer's BEGIN IMMEDIATE
    never meets the commit still writing (and sleeping in SQLite's busy handler for it)."""
    released_in_transaction = []
    release = core.db._release_writer_lock

    def watching(record):
        if record.info.get(core.db._WRITER + ".held"):
            released_in_transaction.append(record.driver_connection.in_transaction)
        release(record)

    monkeypatch.setattr(core.db, "_release_writer_lock", watching)
    with database.write_session() as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
    assert released_in_transaction == [False]
    with database.session() as session:
        assert session.execute(text("SELECT n FROM t")).scalars().all() == [1]


def test_a_commit_sqlite_refuses_is_reported_and_keeps_nothing(database, tmp_path):
    """A COMMIT that fails (a deferred foreign key left broken) raises SQLAlchemy's error, keeps
    none of the transaction and leaves the lock free for the next writer."""
    from sqlalchemy.exc import IntegrityError

    with database.write_session() as session:
        session.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        session.execute(text("CREATE TABLE child (parent_id INTEGER REFERENCES parent (id))"))
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), database.write_session() as session:
        session.execute(text("PRAGMA defer_foreign_keys=ON"))
        session.execute(text("INSERT INTO t VALUES (7)"))
        session.execute(text("INSERT INTO child VALUES (42)"))
    handle = os.open(str(tmp_path / "lock.sqlite.writer"), os.O_RDWR)
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # would raise if anyone still held it
    fcntl.flock(handle, fcntl.LOCK_UN)
    os.close(handle)
    with database.write_session() as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 0
        session.execute(text("INSERT INTO t VALUES (8)"))


def test_every_connection_is_tuned_for_batches_of_writes(database):
    with database.session() as session:
        pragmas = {name: session.execute(text(f"PRAGMA {name}")).scalar()
                   for name in ("journal_mode", "synchronous", "foreign_keys", "wal_autocheckpoint",
                                "journal_size_limit", "cache_size")}
    assert pragmas == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1,
                       "wal_autocheckpoint": core.db.WAL_CHECKPOINT_PAGES,
                       "journal_size_limit": core.db.WAL_KEEP_BYTES, "cache_size": -core.db.CACHE_KIB}


def test_a_large_write_syncs_its_log_once_the_turn_is_handed_on(database, tmp_path, monkeypatch):
    """A transaction of at least SYNC_ROWS changed rows has its log synced after its commit, with
    the writer lock already free; a small write, a rollback and a read leave the log to the
    checkpoint."""
    lock, synced = str(tmp_path / "lock.sqlite.writer"), []
    sync = core.db._sync_log

    def watching(path):
        handle = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises while a writer holds it
            fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            os.close(handle)
        synced.append(path)
        sync(path)

    monkeypatch.setattr(core.db, "_sync_log", watching)
    rows = [{"n": n} for n in range(core.db.SYNC_ROWS)]
    with database.write_session() as session:
        session.execute(text("INSERT INTO t VALUES (:n)"), rows[:-1])
    with database.session() as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == core.db.SYNC_ROWS - 1
    with pytest.raises(RuntimeError), database.write_session() as session:
        session.execute(text("INSERT INTO t VALUES (:n)"), rows)
        raise RuntimeError("changed my mind")
    assert synced == []
    with database.write_session() as session:
        session.execute(text("UPDATE t SET n = n + 1"))
        session.execute(text("INSERT INTO t VALUES (0)"))
    assert synced == [str(tmp_path / "lock.sqlite-wal")]
    with database.session() as session:  # its connection has changed more rows than that, in all
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == core.db.SYNC_ROWS
        session.commit()
    assert len(synced) == 1
