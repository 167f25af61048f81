"""``engage backup | restore | export | import`` on the test's database kind (SQLite, or PostgreSQL
with ENGAGE_TEST_DATABASE_URL), and what they refuse."""

from __future__ import annotations

import json
import threading
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from core.backup import portable
from core.backup.archive import MANIFEST
from core.cli import main
from core.migrations.runner import drop_every_table, migration_engine
from core.migrations.scripts import VERSION_TABLE

pytestmark = pytest.mark.bare_database  # the demo, backups and restores are made through the migrations


@pytest.fixture
def engage(database_url, tmp_path, monkeypatch):
    """Run ``engage …`` against this test's database (``url=`` another one, ``instance=`` another folder)."""
    monkeypatch.setenv("ENGAGE_PLUGIN_REFRESH_SECONDS", "0")
    monkeypatch.setenv("ENGAGE_SECRET_KEY", "test-secret")
    runner = CliRunner()

    def run(*args, url=None, instance=None, input=None):
        monkeypatch.setenv("ENGAGE_DATABASE_URL", url or database_url)
        monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(instance or tmp_path / "instance"))
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return run


def _value(value):
    if isinstance(value, datetime):  # SQLite keeps no zone; the site writes UTC
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def every_row(url: str) -> dict[str, list[tuple]]:
    """Every table's rows (version table included), in primary-key order, comparable across databases."""
    engine = migration_engine(url)
    try:
        with engine.connect() as connection:
            metadata = portable.reflect(connection)
            out = {}
            for table in metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                columns = sorted(table.columns, key=lambda c: c.name)
                out[table.name] = [tuple(_value(v) for v in row)
                                   for row in connection.execute(sa.select(*columns).order_by(*order))]
            return out
    finally:
        engine.dispose()


def boards(app) -> dict:
    from core.boards import top

    with app.app_context(), app.extensions["engage.db"].session() as session:
        return {period: top(session, period=period, limit=50) for period in ("all", "week", "month", "term")}


def make_library(engage, app_factory, url=None):
    """A library made through the migrations: the demo's people and files plus a real account."""
    result = engage("demo", "--no-serve", "--students", "12", url=url)
    assert result.exit_code == 0, result.output
    return result


def wipe(url: str, app_factory) -> None:
    app = app_factory(CREATE_TABLES=False, DATABASE_URL=url)
    drop_every_table(app)


def test_backup_then_restore_into_an_empty_database(engage, app_factory, database_url, tmp_path):
    make_library(engage, app_factory)
    (tmp_path / "instance" / "uploads" / "covers").mkdir(parents=True)
    (tmp_path / "instance" / "uploads" / "covers" / "a.png").write_bytes(b"\x89PNG not really")
    before = every_row(database_url)
    app = app_factory(CREATE_TABLES=False)
    shown = boards(app)
    file = tmp_path / "library.zip"
    result = engage("backup", str(file))
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output
    manifest = json.loads(zipfile.ZipFile(file).read(MANIFEST))
    assert manifest["format"] == "library-engage-backup" and manifest["format_version"] == 1
    assert manifest["method"] == ("sqlite-backup-api" if database_url.startswith("sqlite") else "pg_dump-custom")
    assert manifest["tables"]["core_user"] == len(before["core_user"])
    assert manifest["stored_files"]["files"] > 0
    assert sorted(manifest["revisions"]) == sorted(r[0] for r in before[VERSION_TABLE])
    assert "uploads/covers/a.png" in manifest["members"]

    wipe(database_url, app_factory)
    elsewhere = tmp_path / "other-instance"
    result = engage("restore", str(file), instance=elsewhere)
    assert result.exit_code == 0, result.output
    assert every_row(database_url) == before
    assert (elsewhere / "uploads" / "covers" / "a.png").read_bytes() == b"\x89PNG not really"
    assert engage("check").exit_code == 0
    assert boards(app_factory(CREATE_TABLES=False)) == shown


def test_export_from_sqlite_then_import_into_this_database(engage, app_factory, database_url, tmp_path):
    """SQLite to the test's database (PostgreSQL in the PostgreSQL pass): every row, total and file."""
    source = f"sqlite:///{tmp_path / 'source.sqlite'}"
    make_library(engage, app_factory, url=source)
    before = every_row(source)
    shown = boards(app_factory(CREATE_TABLES=False, DATABASE_URL=source))
    file = tmp_path / "library-export.zip"
    result = engage("export", str(file), url=source)
    assert result.exit_code == 0, result.output
    assert all(name.startswith(("tables/", "uploads/")) for name in zipfile.ZipFile(file).namelist()
               if name != MANIFEST)

    result = engage("import", str(file))
    assert result.exit_code == 0, result.output
    after = every_row(database_url)
    assert after.keys() == before.keys()
    for table in before:
        assert after[table] == before[table], table
    assert engage("check").exit_code == 0
    app = app_factory(CREATE_TABLES=False)
    assert boards(app) == shown
    # New rows take ids after the imported ones (PostgreSQL's sequences were moved on).
    from core.testing import create_test_user

    from core.models import User

    with app.extensions["engage.db"].session() as session:
        newest = session.execute(sa.select(sa.func.max(User.id))).scalar()
    assert create_test_user(app).id == newest + 1


def test_a_backup_taken_while_the_site_writes_is_consistent(engage, app_factory, database_url, tmp_path):
    make_library(engage, app_factory)
    app = app_factory(CREATE_TABLES=False)
    from core.models import User
    from core.points import award

    with app.app_context(), app.extensions["engage.db"].session() as session:
        user_ids = list(session.execute(sa.select(User.id)).scalars())
    stop = threading.Event()

    def writer():
        n = 0
        while not stop.is_set():
            n += 1
            with app.app_context(), app.extensions["engage.db"].write_session() as session:
                award(session, user_id=user_ids[n % len(user_ids)], amount=3, rule="busy", plugin="core",
                      idempotency_key=f"busy:{n}")

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        files = [tmp_path / f"busy-{i}.zip" for i in range(3)]
        for file in files:
            result = engage("backup", str(file))
            assert result.exit_code == 0, result.output
    finally:
        stop.set()
        thread.join()
    wipe(database_url, app_factory)
    result = engage("restore", str(files[-1]))
    assert result.exit_code == 0, result.output
    assert engage("check").exit_code == 0
    counted = json.loads(zipfile.ZipFile(files[-1]).read(MANIFEST))["tables"]["core_point_entry"]
    assert len(every_row(database_url)["core_point_entry"]) == counted


# --- bad input: clear messages, status 1, nothing changed -----------------------------------------

@pytest.fixture
def library_backup(engage, app_factory, tmp_path):
    make_library(engage, app_factory)
    file = tmp_path / "good.zip"
    assert engage("backup", str(file)).exit_code == 0
    return file


def _rewrite(source: Path, target: Path, *, manifest=None, member=None):
    """A copy of ``source`` with its manifest changed by ``manifest`` or a member's bytes by ``member``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename == MANIFEST and manifest:
                data = json.dumps(manifest(json.loads(data))).encode()
            elif info.filename != MANIFEST and member:
                data = member(data)
            new.writestr(info.filename, data)
    return target


def _newer_format(manifest):
    manifest["format_version"] = 99
    return manifest


def _newer_schema(manifest):
    manifest["revisions"] = manifest["revisions"] + ["core_0099_from_the_future"]
    return manifest


def _foreign(manifest):
    manifest["format"] = "something-else"
    return manifest


def _flip(data: bytes) -> bytes:
    return data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]


def _text(good: Path, bad: Path) -> Path:
    bad.write_text("hello")
    return bad


def _truncated(good: Path, bad: Path) -> Path:
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return bad


BAD_FILES = [
    (_text, "not a zip archive"),
    (_truncated, "not a zip archive"),
    (lambda good, bad: _rewrite(good, bad, member=_flip), "checksum differs"),
    (lambda good, bad: _rewrite(good, bad, manifest=_foreign), "not a Library Engage backup"),
    (lambda good, bad: _rewrite(good, bad, manifest=_newer_format), "newer release"),
    (lambda good, bad: _rewrite(good, bad, manifest=_newer_schema), "core_0099_from_the_future"),
]


@pytest.mark.parametrize("command", ["restore", "import"])
def test_bad_files_are_refused_and_nothing_changes(engage, app_factory, database_url, library_backup, tmp_path,
                                                   command):
    wipe(database_url, app_factory)
    for number, (make, message) in enumerate(BAD_FILES):
        bad = make(library_backup, tmp_path / f"bad-{number}.zip")
        result = engage(command, str(bad))
        assert result.exit_code == 1, (message, result.output)
        assert message in result.output and "nothing was changed" in result.output, result.output
        assert every_row(database_url) == {}


def test_a_foreign_zip_is_refused(engage, database_url, tmp_path):
    foreign = tmp_path / "photos.zip"
    with zipfile.ZipFile(foreign, "w") as archive:
        archive.writestr("holiday.jpg", b"...")
    result = engage("restore", str(foreign))
    assert result.exit_code == 1 and "has no Library Engage manifest" in result.output


def test_restore_refuses_a_database_that_is_not_empty(engage, database_url, library_backup, tmp_path):
    before = every_row(database_url)
    exported = tmp_path / "export.zip"
    assert engage("export", str(exported)).exit_code == 0
    for command, file in (("restore", library_backup), ("import", exported)):
        result = engage(command, str(file))
        assert result.exit_code == 1 and "The database is not empty" in result.output and "--force" in result.output
        assert every_row(database_url) == before
    for command, file in (("restore", library_backup), ("import", exported)):
        result = engage(command, "--force", str(file))
        assert result.exit_code == 0, result.output
        assert every_row(database_url) == before
        assert engage("check").exit_code == 0


def test_import_refuses_a_native_backup(engage, app_factory, database_url, library_backup):
    wipe(database_url, app_factory)
    result = engage("import", str(library_backup))
    assert result.exit_code == 1 and "not a portable export" in result.output
    assert every_row(database_url) == {}


def test_backup_does_not_overwrite_a_file(engage, library_backup):
    before = library_backup.read_bytes()
    result = engage("backup", str(library_backup))
    assert result.exit_code == 2 and "--overwrite" in result.output
    assert library_backup.read_bytes() == before


def test_a_missing_file_is_a_clear_error(engage, tmp_path):
    result = engage("restore", str(tmp_path / "absent.zip"))
    assert result.exit_code == 1 and "There is no file" in result.output


def test_a_file_from_an_older_release_is_restored_then_upgraded(engage, app_factory, database_url, tmp_path):
    assert engage("db", "upgrade", "core_0002_session_generation").exit_code == 0
    from migration_support import BUILTIN_BRANCHES

    for plugin in BUILTIN_BRANCHES[1:]:  # every built-in plugin's branch, as an older release had it
        assert engage("db", "upgrade", f"{plugin}@head").exit_code == 0
    backup, exported = tmp_path / "old-backup.zip", tmp_path / "old-export.zip"
    for command, file in (("backup", backup), ("export", exported)):  # they read a database that is behind
        result = engage(command, str(file))
        assert result.exit_code == 0, result.output
        assert "core_0002_session_generation" in json.loads(zipfile.ZipFile(file).read(MANIFEST))["revisions"]
    for command, file in (("restore", backup), ("import", exported)):
        wipe(database_url, app_factory)
        result = engage(command, str(file))
        assert result.exit_code == 0, result.output
        assert "upgraded from an older release: core_0003" in result.output
        assert "Up to date." in engage("db", "current").output
        assert engage("check").exit_code == 0


def test_without_pg_dump_postgresql_is_backed_up_in_the_portable_format(engage, app_factory, database_url,
                                                                          tmp_path, monkeypatch):
    from core.backup import service

    monkeypatch.setattr(service, "_pg_tools", lambda *names: False)
    make_library(engage, app_factory)
    before = every_row(database_url)
    file = tmp_path / "portable.zip"
    assert engage("backup", str(file)).exit_code == 0
    expected = "sqlite-backup-api" if database_url.startswith("sqlite") else "portable"
    assert json.loads(zipfile.ZipFile(file).read(MANIFEST))["method"] == expected
    wipe(database_url, app_factory)
    result = engage("restore", str(file))
    assert result.exit_code == 0, result.output
    assert every_row(database_url) == before
    assert engage("check").exit_code == 0
