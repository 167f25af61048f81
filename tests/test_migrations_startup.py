"""The app refuses to start against a database that is not at every head, saying which command
mends it; the check costs one query; gunicorn stops with the message, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.migrations import SchemaNotCurrent, upgrade
from core.migrations import scripts as migration_scripts
from core.migrations.scripts import VERSION_TABLE

pytestmark = pytest.mark.migrations
ROOT = Path(__file__).resolve().parent.parent


def _execute(url: str, statement: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(statement))
    engine.dispose()


def _empty(app, url):
    pass


def _made_before_migrations(app, url):
    from sqlmodel import SQLModel

    engine = sa.create_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()


def _behind(app, url):
    upgrade(app, "core_0001_baseline")


def _from_a_newer_release(app, url):
    upgrade(app)
    _execute(url, f"INSERT INTO {VERSION_TABLE} VALUES ('core_0099_from_the_future')")


@pytest.mark.parametrize("make, says", [
    (_empty, "The database is empty. Run `engage db upgrade`"),
    (_made_before_migrations, "made by a release from before schema migrations. Run `engage db upgrade`"),
    (_behind, "schema is behind this release (`engage db current` lists what is pending). Run `engage db upgrade`"),
    (_from_a_newer_release, "core_0099_from_the_future, which this installation does not know"),
], ids=["empty", "before-migrations", "behind", "newer"])
def test_the_app_refuses_a_database_that_is_not_current(migration_app, clean_url, app_factory, capsys, make, says):
    make(migration_app, clean_url)
    capsys.readouterr()
    with pytest.raises(SchemaNotCurrent) as refused:
        app_factory(CREATE_TABLES=False, SCHEMA_CHECK=True)
    assert says in str(refused.value)
    assert refused.value.code == 4  # gunicorn's "app failed to load": it stops instead of retrying
    assert says in capsys.readouterr().err


def test_the_app_starts_at_every_head(migration_app, app_factory):
    upgrade(migration_app)
    app = app_factory(CREATE_TABLES=False, SCHEMA_CHECK=True)
    assert app.test_client().get("/").status_code == 200


def test_the_start_up_check_costs_one_query_and_reads_the_scripts_once(migration_app, app_factory, monkeypatch):
    upgrade(migration_app)
    migration_scripts._heads.cache_clear()
    reads = []
    real = migration_scripts.load_scripts
    monkeypatch.setattr(migration_scripts, "load_scripts", lambda folders: reads.append(1) or real(folders))
    statements = []

    def note(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(Engine, "before_cursor_execute", note)
    try:
        for _ in range(3):
            app_factory(CREATE_TABLES=False, SCHEMA_CHECK=True)
    finally:
        sa.event.remove(Engine, "before_cursor_execute", note)
    assert [s for s in statements if "core_" in s] == [f"SELECT version_num FROM {VERSION_TABLE}"] * 3
    assert len(reads) == 1


def test_the_engage_command_refuses_all_but_the_db_commands_when_behind(engage_command):
    refused = engage_command("check")
    assert refused.exit_code == 1
    assert refused.output.strip() == "Error: The database is empty. Run `engage db upgrade` to create its tables."
    listing = engage_command("--help")
    assert listing.exit_code == 0 and "engage db upgrade" in listing.output and "init-db" in listing.output
    current = engage_command("db", "current")
    assert current.exit_code == 0 and "Empty: no tables yet" in current.output
    assert "Pending: core_0001_baseline" in current.output
    assert engage_command("db", "upgrade").exit_code == 0
    assert engage_command("check").exit_code == 0


def test_gunicorn_stops_with_the_message_on_a_fresh_machine(tmp_path, sqlite_only):
    """gunicorn.conf.py checks in the master before any worker boots (four workers failing at once
    would make gunicorn print a traceback of its own)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ENGAGE_")}
    env.update(ENGAGE_DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite'}", ENGAGE_INSTANCE_PATH=str(tmp_path))
    from gunicorn.config import KNOWN_SETTINGS

    command = [str(Path(sys.executable).with_name("gunicorn")), "-w", "4", "-b", "127.0.0.1:0", "--timeout", "120"]
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        command.append("--no-control-socket")  # shared by every gunicorn of this user otherwise
    done = subprocess.run([*command, "core:create_app()"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 4, done.stderr  # "App failed to load": the server stops, no worker is respawned
    assert done.stderr.count("The database is empty. Run `engage db upgrade` to create its tables.") == 1
    assert "Traceback" not in done.stderr and "Booting worker" not in done.stderr, done.stderr
