"""Backups, restores, exports and imports of a whole library (database rows, stored files, uploads).

- ``backup``: a consistent copy while the site serves. SQLite through its online backup API;
  PostgreSQL through ``pg_dump`` (custom format) when it is installed, in a snapshot shared with the
  row counts, else the portable format read in one repeatable-read transaction.
- ``restore``: a backup into an empty database of the same kind (``force`` replaces one that holds
  data), then upgraded to this release's schema if the backup is older.
- ``export`` / ``import_library``: the portable format, for moving between SQLite and PostgreSQL.

Every file is checked whole (manifest, checksums, schema revisions) before anything is changed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import zipfile
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import sqlalchemy as sa
from flask import Flask

from core.backup import sqlite_file
from core.backup import archive as files
from core.backup import portable
from core.backup.archive import BackupError, Manifest
from core.migrations import runner
from core.migrations.scripts import VERSION_TABLE, at_heads, branch_folders, load_scripts

# Rows a freshly made database holds without anyone using it: these do not make it "not empty".
BOOKKEEPING = frozenset({VERSION_TABLE, "core_counter", "core_plugin_state"})
UPLOADS = "uploads"


@dataclass
class Report:
    """What a command did, for the CLI to tell."""

    path: Path
    manifest: Manifest
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def _engine(app: Flask) -> sa.Engine:
    return runner.migration_engine(app.config["DATABASE_URL"])


def _scripts(app: Flask):
    return load_scripts(branch_folders(app.extensions["engage.plugins"]))


def _known(app: Flask) -> set[str]:
    return {rev.revision for rev in _scripts(app).walk_revisions()}


def _revisions(connection: sa.Connection) -> list[str]:
    if VERSION_TABLE not in sa.inspect(connection).get_table_names():
        return []
    return sorted(connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def holdings(connection: sa.Connection) -> dict[str, int]:
    """Tables that hold rows someone made (beyond the bookkeeping every new database has)."""
    metadata = portable.reflect(connection)
    counts = portable.count_rows(connection, [t for t in metadata.sorted_tables if t.name not in BOOKKEEPING])
    return {name: rows for name, rows in counts.items() if rows}


def _uploads(app: Flask) -> Path:
    return Path(app.instance_path) / UPLOADS


def _add_uploads(app: Flask, writer: files.Writer) -> int:
    folder = _uploads(app)
    count = 0
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                writer.add_file(f"{UPLOADS}/{path.relative_to(folder).as_posix()}", path)
                count += 1
    return count


def _check_uploads_target(app: Flask, manifest: Manifest, force: bool) -> None:
    names = [name for name in manifest.members if name.startswith(UPLOADS + "/")]
    folder = _uploads(app)
    if names and folder.is_dir() and any(folder.iterdir()) and not force:
        raise BackupError(f"The uploads folder {folder} is not empty; restore into an empty instance or "
                          "add --force to replace it. Nothing was changed.")


def _restore_uploads(app: Flask, archive: zipfile.ZipFile, manifest: Manifest) -> int:
    names = [name for name in manifest.members if name.startswith(UPLOADS + "/")]
    if not names:
        return 0
    folder = _uploads(app)
    staging = Path(tempfile.mkdtemp(prefix="uploads-", dir=app.instance_path))
    for name in names:
        relative = Path(name).relative_to(UPLOADS)
        if relative.is_absolute() or ".." in relative.parts:
            raise BackupError(f"{name} points outside the uploads folder; nothing was restored.")
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(name) as source, open(target, "wb") as handle:
            shutil.copyfileobj(source, handle)
    if folder.exists():
        shutil.rmtree(folder)
    staging.replace(folder)
    return len(names)


# --- backup ---------------------------------------------------------------------------------------

def backup(app: Flask, path: Path) -> Report:
    """Write a backup of ``app``'s database and uploads to ``path``."""
    url = app.config["DATABASE_URL"]

    def database(engine, writer) -> Manifest:
        if engine.dialect.name == "sqlite":
            return _backup_sqlite(url, writer)
        if engine.dialect.name == "postgresql" and _pg_tools("pg_dump"):
            return _backup_pg_dump(engine, writer)
        return _write_portable(engine, writer, kind="backup")
    return _write_archive(app, path, database)


def _write_archive(app: Flask, path: Path, database: Callable) -> Report:
    """Write an archive: ``database(engine, writer)`` adds the database and returns the manifest,
    then the uploads are added; a failure leaves no file at ``path``."""
    started = time.perf_counter()
    engine = _engine(app)
    writer = files.Writer(path)
    try:
        manifest = database(engine, writer)
        _add_uploads(app, writer)
        writer.close(manifest)
    except BaseException:
        writer.abandon()
        raise
    finally:
        engine.dispose()
    return Report(path, manifest, time.perf_counter() - started)


def _backup_sqlite(url: str, writer: files.Writer) -> Manifest:
    source = sqlite_file(url)
    if source is None or not source.is_file():
        raise BackupError(f"There is no SQLite database file at {source or url}.")
    with tempfile.TemporaryDirectory(prefix="engage-backup-", dir=writer.path.parent) as folder:
        copy = Path(folder) / "database.sqlite"
        from core.backup import copy_sqlite

        copy_sqlite(source, copy)
        engine = sa.create_engine(f"sqlite:///{copy}", poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                tables = portable.data_tables(portable.reflect(connection))
                manifest = Manifest(kind="backup", database="sqlite", method="sqlite-backup-api",
                                    revisions=_revisions(connection),
                                    tables=portable.count_rows(connection, tables),
                                    stored_files=portable.stored_files(connection, tables))
        finally:
            engine.dispose()
        writer.add_file("database.sqlite", copy)
    return manifest


def _pg_tools(*names: str) -> bool:
    return all(shutil.which(name) for name in names)


def _libpq(engine: sa.Engine) -> tuple[str, dict]:
    """A libpq connection URI without the password, and an environment carrying it."""
    url = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _backup_pg_dump(engine: sa.Engine, writer: files.Writer) -> Manifest:
    conninfo, env = _libpq(engine)
    with tempfile.TemporaryDirectory(prefix="engage-backup-", dir=writer.path.parent) as folder:
        dump = Path(folder) / "database.pgdump"
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            with connection.begin():
                # The counts below and pg_dump read one snapshot: the manifest describes the dump exactly.
                snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
                schema = connection.execute(sa.text("SELECT current_schema()")).scalar()
                tables = portable.data_tables(portable.reflect(connection))
                manifest = Manifest(kind="backup", database="postgresql", method="pg_dump-custom",
                                    revisions=_revisions(connection), pg_schema=schema,
                                    tables=portable.count_rows(connection, tables),
                                    stored_files=portable.stored_files(connection, tables))
                done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                                       f"--snapshot={snapshot}", f"--schema={schema}", f"--file={dump}",
                                       f"--dbname={conninfo}"], env=env, capture_output=True, text=True)
                if done.returncode:
                    raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        writer.add_file("database.pgdump", dump, compress=False)  # already compressed
    return manifest


@contextmanager
def _snapshot(engine: sa.Engine):
    """One read transaction that sees a single moment of the database."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            with connection.begin():
                connection.execute(sa.text("SET TRANSACTION READ ONLY"))
                yield connection
    else:  # SQLite in WAL mode: a read transaction keeps its snapshot until it ends
        with engine.connect() as connection, connection.begin():
            yield connection


def _write_portable(engine: sa.Engine, writer: files.Writer, *, kind: str) -> Manifest:
    with _snapshot(engine) as connection:
        tables = portable.data_tables(portable.reflect(connection))
        manifest = Manifest(kind=kind, database=engine.dialect.name, method="portable",
                            revisions=_revisions(connection), order=[t.name for t in tables],
                            stored_files=portable.stored_files(connection, tables))
        for number, table in enumerate(tables, 1):
            with writer.open(f"tables/{number:04d}_{table.name}.jsonl") as member:
                manifest.tables[table.name] = portable.dump_table(connection, table, member)
    return manifest


def export(app: Flask, path: Path) -> Report:
    """Write the portable export of ``app``'s database and uploads to ``path``."""
    return _write_archive(app, path, lambda engine, writer: _write_portable(engine, writer, kind="export"))


# --- restore and import ---------------------------------------------------------------------------

def _open(app: Flask, path: Path):
    return files.read(path, known_revisions=_known(app))


def _refuse_unless_empty(engine: sa.Engine, force: bool, verb: str) -> None:
    with engine.connect() as connection:
        held = holdings(connection)
    if held and not force:
        sample = ", ".join(f"{name} ({rows})" for name, rows in sorted(held.items())[:4])
        raise BackupError(f"The database is not empty (rows in {sample}{', …' if len(held) > 4 else ''}). "
                          f"{verb} goes into an empty database; add --force to replace everything in it. "
                          "Nothing was changed.")


def restore(app: Flask, path: Path, *, force: bool = False) -> Report:
    """Restore the backup at ``path`` into ``app``'s database (empty unless ``force``)."""
    started = time.perf_counter()
    archive, manifest = _open(app, path)
    engine = _engine(app)
    try:
        if manifest.method == "portable":
            notes = _import(app, engine, archive, manifest, force=force, verb="A restore")
        elif manifest.method == "sqlite-backup-api":
            notes = _restore_sqlite(app, engine, archive, manifest, force)
        elif manifest.method == "pg_dump-custom":
            notes = _restore_pg(app, engine, archive, manifest, force)
        else:
            raise BackupError(f"{path} was made in a way this release does not know ({manifest.method}); "
                              "nothing was changed.")
    finally:
        archive.close()
        engine.dispose()
    notes += _upgrade(app, manifest)
    return Report(path, manifest, time.perf_counter() - started, notes)


def import_library(app: Flask, path: Path, *, force: bool = False) -> Report:
    """Load the export (or portable backup) at ``path`` into ``app``'s database (empty unless ``force``)."""
    started = time.perf_counter()
    archive, manifest = _open(app, path)
    if manifest.method != "portable":
        archive.close()
        raise BackupError(f"{path} is a {manifest.database} backup, not a portable export: restore it with "
                          "`engage restore` into a database of that kind, then `engage export` from there. "
                          "Nothing was changed.")
    engine = _engine(app)
    try:
        notes = _import(app, engine, archive, manifest, force=force, verb="An import")
    finally:
        archive.close()
        engine.dispose()
    notes += _upgrade(app, manifest)
    return Report(path, manifest, time.perf_counter() - started, notes)


def _same_kind(engine: sa.Engine, manifest: Manifest) -> None:
    if engine.dialect.name != manifest.database:
        raise BackupError(f"This is a backup of a {manifest.database} database and the target is "
                          f"{engine.dialect.name}. To move between the two, `engage export` from a "
                          f"{manifest.database} database restored from it, then `engage import`. "
                          "Nothing was changed.")


def _restore_sqlite(app, engine, archive, manifest, force) -> list[str]:
    _same_kind(engine, manifest)
    target = sqlite_file(app.config["DATABASE_URL"])
    if target is None:
        raise BackupError("The target is an in-memory SQLite database; nothing was changed.")
    if target.exists():
        _refuse_unless_empty(engine, force, "A restore")
    _check_uploads_target(app, manifest, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="engage-restore-", dir=target.parent) as folder:
        copy = Path(folder) / "database.sqlite"
        with archive.open("database.sqlite") as source, open(copy, "wb") as handle:
            shutil.copyfileobj(source, handle, files.CHUNK)
        with closing(sqlite3.connect(copy)) as check:
            try:
                verdict = check.execute("PRAGMA integrity_check").fetchone()[0]
            except sqlite3.DatabaseError as exc:
                verdict = str(exc)
        if verdict != "ok":
            raise BackupError(f"The database in the backup is damaged ({verdict}); nothing was changed.")
        # The backup API writes the copy into the target page by page under its write lock, so a
        # server that has the file open sees the old database or the restored one, never a mixture.
        with closing(sqlite3.connect(copy)) as source, closing(sqlite3.connect(target, timeout=30)) as destination:
            source.backup(destination)
    _restore_uploads(app, archive, manifest)
    return []


def _restore_pg(app, engine, archive, manifest, force) -> list[str]:
    _same_kind(engine, manifest)
    if not _pg_tools("pg_restore", "psql"):
        raise BackupError("Restoring a pg_dump backup needs PostgreSQL's pg_restore and psql on the PATH; "
                          "nothing was changed.")
    with engine.connect() as connection:
        schema = connection.execute(sa.text("SELECT current_schema()")).scalar()
    if manifest.pg_schema and schema != manifest.pg_schema:
        raise BackupError(f"The backup is of the schema {manifest.pg_schema!r} and the target database uses "
                          f"{schema!r}; restore into a database whose search path is {manifest.pg_schema!r}, or "
                          "move the data with `engage export` and `engage import`. Nothing was changed.")
    _refuse_unless_empty(engine, force, "A restore")
    _check_uploads_target(app, manifest, force)
    conninfo, env = _libpq(engine)
    with tempfile.TemporaryDirectory(prefix="engage-restore-") as folder:
        dump = Path(folder) / "database.pgdump"
        with archive.open("database.pgdump") as source, open(dump, "wb") as handle:
            shutil.copyfileobj(source, handle, files.CHUNK)
        listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, env=env)
        if listing.returncode:
            raise BackupError(f"The dump in the backup cannot be read ({listing.stderr.strip()}); "
                              "nothing was changed.")
        # The schema itself already exists: leave its CREATE SCHEMA out.
        entries = Path(folder) / "entries.list"
        entries.write_text("\n".join(line for line in listing.stdout.splitlines() if " SCHEMA - " not in line))
        script = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", f"--use-list={entries}",
                                 "--file=-", str(dump)], capture_output=True, env=env)
        if script.returncode:
            raise BackupError(f"The dump in the backup cannot be read ({script.stderr.decode().strip()}); "
                              "nothing was changed.")
        # One transaction: the old tables go and the backup's arrive together, or nothing changes.
        with engine.connect() as connection:
            old = portable.reflect(connection).sorted_tables
            drops = "".join(f"DROP TABLE IF EXISTS {engine.dialect.identifier_preparer.format_table(t)} "
                            "CASCADE;\n" for t in reversed(old))
        quoted = engine.dialect.identifier_preparer.quote_schema(schema)
        prologue = f"SET search_path = {quoted};\n{drops}".encode()
        done = subprocess.run(["psql", "--quiet", "--no-psqlrc", "--single-transaction", "-v", "ON_ERROR_STOP=1",
                               f"--dbname={conninfo}", "--file=-"], input=prologue + script.stdout,
                              capture_output=True, env=env)
        if done.returncode:
            raise BackupError(f"The restore failed and was rolled back, so the database is as it was "
                              f"({done.stderr.decode().strip()[:500]}).")
    _restore_uploads(app, archive, manifest)
    return []


def _import(app, engine, archive, manifest, *, force, verb) -> list[str]:
    """Create the backup's schema in the (emptied) target, load every row, reset sequences."""
    _refuse_unless_empty(engine, force, verb)
    _check_uploads_target(app, manifest, force)
    members = {name.split("_", 1)[1].removesuffix(".jsonl"): name
               for name in manifest.members if name.startswith("tables/")}
    missing = [table for table in manifest.order if table not in members]
    if missing:
        raise BackupError(f"The file lists tables it does not hold ({', '.join(missing[:5])}); nothing was changed.")
    # Everything goes (with --force, the rows too): the schema is made anew at the file's revisions.
    runner.drop_every_table(app)
    _migrate_to(app, manifest.revisions)
    notes: list[str] = []
    with engine.execution_options(engage_migration_write=True).begin() as connection:
        metadata = portable.reflect(connection)
        unknown = [table for table in manifest.order if table not in metadata.tables]
        if unknown:
            raise BackupError(f"The file has tables this schema does not ({', '.join(unknown[:5])}); "
                              "nothing was imported.")
        present = [metadata.tables[name] for name in manifest.order]
        for table in reversed(portable.data_tables(metadata)):
            connection.execute(table.delete())  # rows the migrations seeded give way to the file's
        for table in present:
            with archive.open(members[table.name]) as handle:
                try:
                    rows = portable.load_table(connection, table, handle)
                except (portable.FormatError, ValueError) as exc:
                    raise BackupError(f"The file does not fit this database ({exc}); nothing was imported.") from None
            if rows != manifest.tables.get(table.name):
                raise BackupError(f"{table.name}: {rows} rows read, the manifest says "
                                  f"{manifest.tables.get(table.name)}; nothing was imported.")
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise BackupError(f"Rows in {', '.join(sorted({r[0] for r in broken}))} point at rows that are not "
                                  "in the file; nothing was imported.")
        moved = portable.reset_sequences(connection, present)
        if moved:
            notes.append(f"moved {moved} id sequences past the imported rows")
    _restore_uploads(app, archive, manifest)
    return notes


def _migrate_to(app: Flask, revisions: list[str]) -> None:
    """Give the empty database the schema the file was made at (its version rows)."""
    script = _scripts(app)
    try:
        if not revisions or set(revisions) == at_heads(script):
            runner.upgrade(app)
        else:
            for revision in revisions:
                runner.upgrade(app, revision)
    except runner.MigrationError as exc:
        raise BackupError(f"The schema could not be made: {exc}") from None


def _upgrade(app: Flask, manifest: Manifest) -> list[str]:
    """Bring a restored database made by an older release up to this one's schema."""
    if set(manifest.revisions) == at_heads(_scripts(app)):
        return []
    try:
        outcome = runner.upgrade(app)
    except runner.MigrationError as exc:
        raise BackupError(f"The backup was restored, but upgrading it to this release's schema failed: {exc}") \
            from None
    return [f"upgraded from an older release: {', '.join(outcome.steps) or 'nothing to do'}"]
