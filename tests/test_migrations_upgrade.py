"""Upgrading keeps every row; a failed or killed upgrade leaves the old schema; SQLite is copied
first; a database from a newer release is refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.migrations import MigrationError, upgrade
from core.migrations.adopt import baselines
from core.migrations.scripts import VERSION_TABLE, branch_folders, load_scripts
from core.points import check_totals
from core.terms import current_calendar
from migration_support import all_rows, load_baseline_rows, schema_dump, versions
from migration_plugins import doomed

pytestmark = pytest.mark.migrations
ROOT = Path(__file__).resolve().parent.parent
# Rebuilt from the maintained totals by revisions that change who is counted; `engage check` proves them.
DERIVED = {"core_rank_count"}


def _to_baselines(app) -> None:
    script = load_scripts(branch_folders(app.extensions["engage.plugins"]))
    for rev in baselines(script):
        upgrade(app, rev.revision)


def test_a_baseline_database_full_of_rows_keeps_every_row_at_heads(migration_app, clean_url, engage_command, app_factory,
                                                                  tmp_path):
    _to_baselines(migration_app)
    counts = load_baseline_rows(migration_app, clean_url)
    assert all(counts.values()), f"every table has rows: {counts}"
    before = all_rows(clean_url)

    result = engage_command("db", "upgrade")
    assert result.exit_code == 0, result.output

    after = all_rows(clean_url)
    for table, rows in before.items():
        if table in DERIVED:
            continue
        kept = [{column: row[column] for column in rows[0]} for row in after[table]] if rows else []
        assert sorted(kept, key=repr) == rows, f"rows of {table} changed"
    checked = engage_command("check")
    assert checked.exit_code == 0, checked.output
    app = app_factory(CREATE_TABLES=False, SCHEMA_CHECK=True)
    from core.openbadges import legacy_salt

    secret_key = (tmp_path / "instance" / "secret_key").read_text().strip()  # the one `engage` upgraded with
    awards = after["core_badge_award"]  # each keeps the recipient salt it was issued with
    assert awards and all(row["salt"] == legacy_salt(secret_key, row["id"]) for row in awards)
    with app.app_context(), app.extensions["engage.db"].session() as session:
        assert check_totals(session, calendar=current_calendar()) == []
    client = app.test_client()
    signed_in = client.post("/auth/login", data={"email": "student1@demo.library", "password": "demo-pass-2024"})
    assert signed_in.status_code == 302
    assert client.get("/").status_code == 200 and b"/auth/logout" in client.get("/").data


def test_a_revision_failing_half_way_leaves_the_old_schema_and_rows(migration_app, clean_url, app_factory):
    upgrade(migration_app)
    load_baseline_rows(migration_app, clean_url)
    schema, rows, at = schema_dump(clean_url), all_rows(clean_url), versions(clean_url)
    doomed_app = app_factory(plugins=(doomed,), CREATE_TABLES=False, SCHEMA_CHECK=False)
    with pytest.raises(MigrationError, match="failed and was rolled back.*half-way on purpose"):
        upgrade(doomed_app)
    assert schema_dump(clean_url) == schema
    assert all_rows(clean_url) == rows
    assert versions(clean_url) == at


def test_an_upgrade_killed_half_way_leaves_the_old_schema(migration_app, clean_url, tmp_path, postgresql_only):
    """kill -9 while the revision has changed tables and rows: PostgreSQL rolls the one transaction
    back when its connection dies. (On SQLite the failing-revision test above covers the same.)"""
    upgrade(migration_app)
    load_baseline_rows(migration_app, clean_url)
    schema, rows, at = schema_dump(clean_url), all_rows(clean_url), versions(clean_url)
    marker = tmp_path / "half-way"
    code = ("from core.testing import make_app; from core.migrations import upgrade; "
            "from migration_plugins import doomed; from pathlib import Path; import sys; "
            "app = make_app(sys.argv[1], Path(sys.argv[2]), plugins=(doomed,), CREATE_TABLES=False); "
            "upgrade(app)")
    env = {**os.environ, "DOOMED_MARKER": str(marker), "PYTHONPATH": str(ROOT / "tests")}
    child = subprocess.Popen([sys.executable, "-c", code, clean_url, str(tmp_path / "child")], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "the upgrade ended before it was half-way"
            assert time.monotonic() < deadline, "the upgrade never got half-way"
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    assert schema_dump(clean_url) == schema
    assert all_rows(clean_url) == rows
    assert versions(clean_url) == at


def test_sqlite_is_copied_before_an_upgrade(migration_app, clean_url, sqlite_only):
    upgrade(migration_app, "core_0001_baseline")
    engine = sa.create_engine(clean_url)
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO core_user (email, password_hash, display_name, role, hide_from_boards, "
                                   "public_profile, is_active, created_at) VALUES ('a@uni.edu', 'x', 'A', 'student', "
                                   "0, 0, 1, '2026-11-01 00:00:00')"))
    engine.dispose()

    outcome = upgrade(migration_app)

    folder = Path(migration_app.instance_path) / "backups"
    assert outcome.backup.parent == folder
    assert outcome.backup.name.startswith("pre-upgrade-core_0001_baseline-") and outcome.backup.suffix == ".sqlite"
    copy = sa.create_engine(f"sqlite:///{outcome.backup}")
    with copy.connect() as connection:
        assert connection.execute(sa.text("SELECT email FROM core_user")).scalars().all() == ["a@uni.edu"]
        tables = set(sa.inspect(connection).get_table_names())
        assert "core_user" in tables and "feedback_item" not in tables
        assert connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == "core_0001_baseline"
    copy.dispose()
    assert [p.name for p in folder.iterdir()] == [outcome.backup.name]  # no partial copy left behind
    assert upgrade(migration_app).backup is None  # nothing to do: no copy


def test_an_empty_database_is_not_copied(migration_app, sqlite_only):
    assert upgrade(migration_app).backup is None


def test_a_database_from_a_newer_release_is_refused(migration_app, clean_url, engage_command):
    upgrade(migration_app)
    engine = sa.create_engine(clean_url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"INSERT INTO {VERSION_TABLE} VALUES ('core_0099_from_the_future')"))
    engine.dispose()
    schema = schema_dump(clean_url)
    with pytest.raises(MigrationError, match="core_0099_from_the_future, which this installation does not know"):
        upgrade(migration_app)
    result = engage_command("db", "upgrade")
    assert result.exit_code == 1 and "newer release" in result.output and "nothing was changed" in result.output.lower()
    assert schema_dump(clean_url) == schema
    assert not (Path(migration_app.instance_path) / "backups").exists()


def test_an_upgrade_waits_for_another_one_on_postgresql(migration_app, clean_url, postgresql_only):
    """Two upgrades started at once run one after the other (an advisory lock), so the second
    finds the work done instead of failing on tables the first made."""
    import threading

    from core.migrations.runner import _LOCK_KEY

    engine = sa.create_engine(clean_url)
    holder = engine.connect()
    transaction = holder.begin()
    holder.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})  # another upgrade, running
    outcomes = []
    waiting = threading.Thread(target=lambda: outcomes.append(upgrade(migration_app)))
    waiting.start()
    try:
        waiting.join(2)
        assert waiting.is_alive() and schema_dump(clean_url) == []
    finally:
        transaction.commit()
        holder.close()
        engine.dispose()
    waiting.join(60)
    assert outcomes and outcomes[0].steps[0] == "core_0001_baseline"
