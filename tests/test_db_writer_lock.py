"""SQLite writers queue on a lock file beside the database (core.db): a writer waits for the one
before it and goes on within milliseconds of its end, and gives up like SQLite after the busy
timeout; readers never wait for it."""

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
