"""The ``engage db`` commands, ``engage init-db`` (their alias) and ``engage demo --reset``, with
bad input refused in a sentence; and writing revisions, a plugin's first one starting its branch."""

from __future__ import annotations

import importlib.util
import sys

import pytest
import sqlalchemy as sa
from sqlmodel import AutoString, SQLModel

from core.cli import main
from core.migrations import upgrade
from core.migrations.scripts import VERSION_TABLE
from core.models import UTCDateTime
from migration_support import heads, versions

pytestmark = pytest.mark.migrations


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_current_history_downgrade(engage_command, clean_url):
    upgraded = engage_command("db", "upgrade")
    assert upgraded.exit_code == 0
    assert "applied core_0001_baseline" in upgraded.output and "applied feedback_0001_baseline" in upgraded.output
    assert "feedback         feedback_0001_baseline" in upgraded.output
    assert "Nothing to do" in engage_command("db", "upgrade").output
    current = engage_command("db", "current").output
    assert f"core             {heads()['core']} (head)" in current and "Up to date." in current
    history = engage_command("db", "history").output
    assert "core:\n  core_0001_baseline  Core's tables when migrations began" in history
    assert "feedback_0001_baseline (after core_0001_baseline)" in history and "[current, head]" in history

    down = engage_command("db", "downgrade", "feedback@base", "--yes")
    assert down.exit_code == 0 and "undid feedback_0001_baseline" in down.output
    assert not any(name.startswith("feedback_") for name in _tables(clean_url))
    assert "core_user" in _tables(clean_url)
    current = engage_command("db", "current").output
    assert "feedback         (none)" in current and "Pending: feedback_0001_baseline." in current
    behind = engage_command("check")
    assert behind.exit_code == 1 and "behind this release" in behind.output
    again = engage_command("db", "upgrade")
    assert again.output.count("applied") == 1 and "applied feedback_0001_baseline" in again.output
    assert engage_command("check").exit_code == 0


BAD_INPUT = [
    (["db", "upgrade", "nosuch"], 1, "There is no revision 'nosuch'; `engage db history` lists them."),
    (["db", "downgrade", "nosuch", "--yes"], 1, "There is no revision 'nosuch'"),
    (["db", "downgrade"], 2, "Missing argument 'REVISION'"),
    (["db", "revision", "-m", "Add shelves", "--branch", "nosuch"], 2, "no branch is called 'nosuch' (branches: core,"),
    (["db", "revision", "-m", 'Say "hi"', "--branch", "core"], 2, "without quotes or backslashes"),
    (["db", "revision", "--branch", "core"], 2, "Missing option '-m'"),
]


def test_bad_input_is_refused_in_a_sentence_and_changes_nothing(engage_command, clean_url):
    engage_command("db", "upgrade")
    before = versions(clean_url)
    for args, code, message in BAD_INPUT:
        result = engage_command(*args)
        assert result.exit_code == code and message in result.output, (args, result.output)
        assert versions(clean_url) == before, args


def test_downgrade_asks_first_and_an_empty_database_has_nothing_to_downgrade(engage_command, clean_url):
    nothing = engage_command("db", "downgrade", "base", "--yes")
    assert nothing.exit_code == 1 and "nothing to downgrade" in nothing.output
    engage_command("db", "upgrade")
    declined = engage_command("db", "downgrade", "base", input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert "core_user" in _tables(clean_url)
    agreed = engage_command("db", "downgrade", "base", input="y\n")
    assert agreed.exit_code == 0 and "undid core_0001_baseline" in agreed.output
    assert _tables(clean_url) == {VERSION_TABLE}


def test_init_db_is_upgrade_and_drop_asks_first(engage_command, clean_url):
    made = engage_command("init-db")
    assert made.exit_code == 0 and "applied core_0001_baseline" in made.output and "Database ready" in made.output
    engine = sa.create_engine(clean_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE retired_plugin_thing (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    declined = engage_command("init-db", "--drop", input="n\n")
    assert declined.exit_code == 1 and "retired_plugin_thing" in _tables(clean_url)
    dropped = engage_command("init-db", "--drop", input="y\n")
    assert dropped.exit_code == 0 and "applied core_0001_baseline" in dropped.output
    assert "retired_plugin_thing" not in _tables(clean_url)
    assert engage_command("check").exit_code == 0


def test_demo_reset_drops_every_table_and_upgrades(engage_command, clean_url, sqlite_only):
    engage_command("db", "upgrade")
    engine = sa.create_engine(clean_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE retired_plugin_thing (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    result = engage_command("demo", "--no-serve", "--reset", "--students", "2")
    assert result.exit_code == 0 and "applied core_0001_baseline" in result.output
    assert "retired_plugin_thing" not in _tables(clean_url)
    assert "admin@demo.library" in result.output
    assert engage_command("check").exit_code == 0


SCRATCH = '''"""A plugin made for one test, outside the repository, as an installed one would be."""
NAME = "scratch"
TITLE = {"en": "Scratch", "zh_Hans": "草稿"}
DESCRIPTION = {"en": "A test plugin.", "zh_Hans": "测试插件。"}
'''


@pytest.fixture
def scratch(tmp_path):
    """A plugin package in tmp_path, and a table of its own in the models' metadata."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    (folder / "__init__.py").write_text(SCRATCH)
    spec = importlib.util.spec_from_file_location("scratch_plugin_for_test", folder / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = sa.Table("scratch_note", SQLModel.metadata,
                     sa.Column("id", sa.Integer(), primary_key=True),
                     sa.Column("user_id", sa.Integer(), sa.ForeignKey("core_user.id"), nullable=False, index=True),
                     sa.Column("text", AutoString(80), nullable=False),
                     sa.Column("created_at", UTCDateTime(), nullable=False))
    try:
        yield module, folder
    finally:
        SQLModel.metadata.remove(table)
        sys.modules.pop("scratch_plugin_for_test", None)


def test_revisions_written_for_a_plugin_start_its_branch_and_keep_to_its_tables(
        clean_url, app_factory, scratch, sqlite_only):
    module, folder = scratch
    app = app_factory(plugins=(module,), CREATE_TABLES=False, SCHEMA_CHECK=False)
    runner = app.test_cli_runner()
    run = lambda *args: runner.invoke(main, list(args))  # noqa: E731
    upgrade(app)
    engine = sa.create_engine(clean_url)
    with engine.begin() as connection:  # a difference in core's tables, which scratch's revision must leave alone
        connection.execute(sa.text("DROP INDEX ix_core_user_cohort"))
    engine.dispose()

    written = run("db", "revision", "-m", "Add notes", "--branch", "scratch", "--autogenerate")
    assert written.exit_code == 0, written.output
    first = folder / "migrations" / "versions" / "scratch_0001_add_notes.py"
    assert f"Wrote {first}" in written.output
    text = first.read_text()
    core_head = heads()["core"]  # a plugin's first revision follows core's tables as they are when it is written
    assert "branch_labels = ('scratch',)" in text and f"depends_on = '{core_head}'" in text
    assert "down_revision = None" in text
    assert "op.create_table('scratch_note'" in text and "sa.String(length=80)" in text
    assert "sa.DateTime(timezone=True)" in text and "sa.ForeignKeyConstraint(['user_id'], ['core_user.id']" in text
    assert "sqlmodel" not in text and "core.models" not in text and "ix_core_user_cohort" not in text
    assert (folder / "migrations" / "__init__.py").exists() and (folder / "migrations" / "versions" / "__init__.py").exists()

    applied = run("db", "upgrade")
    assert "applied scratch_0001_add_notes" in applied.output and "scratch_note" in _tables(clean_url)

    second = run("db", "revision", "-m", "Second step", "--branch", "scratch")
    assert second.exit_code == 0, second.output
    assert "down_revision = 'scratch_0001_add_notes'" in (folder / "migrations/versions/scratch_0002_second_step.py").read_text()
    stale = run("db", "revision", "-m", "More", "--branch", "scratch", "--autogenerate")
    assert stale.exit_code == 1 and "not at every head; run `engage db upgrade`" in stale.output
    run("db", "upgrade")
    unchanged = run("db", "revision", "-m", "Nothing new", "--branch", "scratch", "--autogenerate")
    assert unchanged.exit_code == 1 and "agree on scratch's tables: nothing to write" in unchanged.output
    assert not list(folder.glob("migrations/versions/scratch_0003*"))
    history = run("db", "history").output
    assert f"scratch:\n  scratch_0001_add_notes (after {core_head})  Add notes" in history
    assert run("db", "downgrade", "scratch@base", "--yes").exit_code == 0
    assert "scratch_note" not in _tables(clean_url)
