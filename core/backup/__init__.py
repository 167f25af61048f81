"""Copies of the database: backups, restores, exports and imports of a whole library.

This module offers ``copy_sqlite``: a consistent copy of a live SQLite database made with SQLite's
online backup API (safe while other processes read and write it; upgrades keep one in
``instance/backups/``), and ``sqlite_file`` to find it. The submodules: ``service`` (``engage
backup | restore | export | import``), ``archive`` (the backup file and its manifest),
``portable`` (tables as JSON lines), ``guard`` (what a database holds: empty, the demo or a
library) and ``cli`` (the commands).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import make_url


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def backup_path(folder: Path, label: str) -> Path:
    """A new file name in ``folder``: ``<label>-<UTC timestamp>.sqlite``, never one already there."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{label}-{stamp}.sqlite"
    number = 2
    while path.exists():
        path = folder / f"{label}-{stamp}-{number}.sqlite"
        number += 1
    return path


def copy_sqlite(source: Path, destination: Path) -> Path:
    """Copy the SQLite database ``source`` to ``destination`` with the online backup API.

    The copy is written under a temporary name and renamed when complete, so a file with the
    final name is always a whole database. Returns ``destination``.
    """
    if not source.is_file():
        raise FileNotFoundError(f"no SQLite database at {source}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    origin = sqlite3.connect(source, timeout=30)
    try:
        copy = sqlite3.connect(partial)
        try:
            origin.backup(copy)
        finally:
            copy.close()
    finally:
        origin.close()
    partial.replace(destination)
    return destination
