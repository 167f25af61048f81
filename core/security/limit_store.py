"""A rate-limit store that every worker process on one machine shares: a small SQLite file.

The ``limits`` library (under Flask-Limiter) keeps counters in memory by default, one set
per process, so ``gunicorn -w 4`` allowed four times the limit. Its shared stores need a
server (Redis, Memcached, MongoDB): right for several machines, more than one machine needs.
This store plugs into ``limits`` through its documented extension point (a ``Storage``
subclass registers its URI scheme) and keeps fixed-window counters in a SQLite file in WAL
mode; each count is one short write transaction, so concurrent workers queue, never lose
a count. URI: ``engage+sqlite:///absolute/path/ratelimits.sqlite``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from limits.storage import Storage

SCHEME = "engage+sqlite"
# Expired counters are swept about once per this many counts.
_SWEEP_EVERY = 500


class SQLiteLimitStorage(Storage):
    """Fixed-window counters in a SQLite file shared by the processes of one machine."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **_options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.path = uri.split("://", 1)[1]
        if not self.path.startswith("/"):
            raise ValueError(f"{SCHEME} needs an absolute file path, e.g. {SCHEME}:///srv/engage/ratelimits.sqlite")
        self._local = threading.local()
        self._counts = 0
        with self._connection() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS limit_counter (key TEXT PRIMARY KEY, "
                         "count INTEGER NOT NULL, expires REAL NOT NULL) WITHOUT ROWID")

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (a new one after a fork: a connection must not cross processes)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to the key's window, opening a new window of ``expiry`` seconds when
        the last one is over; the count after adding."""
        now = time.time()
        conn = self._connection()
        row = conn.execute(
            "INSERT INTO limit_counter (key, count, expires) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN expires <= ? THEN excluded.count ELSE count + excluded.count END, "
            "expires = CASE WHEN expires <= ? THEN excluded.expires ELSE expires END "
            "RETURNING count", (key, amount, now + expiry, now, now)).fetchone()
        self._counts += 1
        if self._counts % _SWEEP_EVERY == 0:
            conn.execute("DELETE FROM limit_counter WHERE expires <= ?", (now,))
        return int(row[0])

    def get(self, key: str) -> int:
        """The key's count in its current window (0 when none is open)."""
        row = self._connection().execute("SELECT count FROM limit_counter WHERE key = ? AND expires > ?",
                                          (key, time.time())).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        """When the key's current window ends (a Unix time; now when none is open)."""
        now = time.time()
        row = self._connection().execute("SELECT expires FROM limit_counter WHERE key = ? AND expires > ?",
                                          (key, now)).fetchone()
        return float(row[0]) if row else now

    def check(self) -> bool:
        """True when the file can be read."""
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every counter; how many there were."""
        return self._connection().execute("DELETE FROM limit_counter").rowcount

    def clear(self, key: str) -> None:
        """Forget one key's counter."""
        self._connection().execute("DELETE FROM limit_counter WHERE key = ?", (key,))
