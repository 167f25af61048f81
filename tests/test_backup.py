"""Copies of a SQLite database made with SQLite's online backup API (core.backup)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from core.backup import backup_path, copy_sqlite, sqlite_file


def test_a_live_database_in_wal_mode_is_copied_whole(tmp_path):
    source = tmp_path / "live.sqlite"
    writer = sqlite3.connect(source, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT)")
    writer.executemany("INSERT INTO note (text) VALUES (?)", [(f"note {i}",) for i in range(500)])
    writer.execute("BEGIN")
    writer.execute("INSERT INTO note (text) VALUES ('not committed yet')")  # a writer mid-transaction
    try:
        copy = copy_sqlite(source, tmp_path / "backups" / "copy.sqlite")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert [p.name for p in copy.parent.iterdir()] == ["copy.sqlite"]  # no partial file left
    with closing(sqlite3.connect(copy)) as reader:
        assert reader.execute("SELECT count(*) FROM note").fetchone() == (500,)
        assert reader.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_missing_database_is_not_created_by_copying(tmp_path):
    with pytest.raises(FileNotFoundError):
        copy_sqlite(tmp_path / "absent.sqlite", tmp_path / "copy.sqlite")
    assert not (tmp_path / "absent.sqlite").exists()


def test_backup_names_never_overwrite(tmp_path):
    first = backup_path(tmp_path, "pre-upgrade-core_0001_baseline")
    first.write_text("")
    second = backup_path(tmp_path, "pre-upgrade-core_0001_baseline")
    assert first.name.startswith("pre-upgrade-core_0001_baseline-") and first.suffix == ".sqlite"
    assert second != first and not second.exists()


@pytest.mark.parametrize("url, path", [
    ("sqlite:////srv/engage/instance/engage.sqlite", Path("/srv/engage/instance/engage.sqlite")),
    ("sqlite:///relative.sqlite", Path("relative.sqlite")),
    ("sqlite://", None),
    ("sqlite:///:memory:", None),
    ("postgresql+psycopg://u@host/db", None),
])
def test_sqlite_file_of_a_url(url, path):
    assert sqlite_file(url) == path
