"""Fixtures and helpers the migration tests share (imported by tests/test_migrations_*.py).

The suite's own fixtures make tables with ``create_all``; these start from a database with no
table at all (on PostgreSQL, the test worker's schema emptied) and run Alembic on it.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.migrations.scripts import VERSION_TABLE, branch_folders, load_scripts
from core.testing import PG_URL

BASELINE_ROWS = Path(__file__).parent / "data" / "baseline_rows.json"
BUILTIN_BRANCHES = ("core", "contributions", "brand_stories", "staff_scores", "feedback",
                    "rewards", "signin_cas")
# The relationship dashboard's branch.
BUILTIN_BRANCHES += ("insights",)
BUILTIN_BRANCHES += ("badgemaker",)
BUILTIN_BRANCHES += ("events",)
BUILTIN_BRANCHES += ("inbound",)


def wipe(url: str) -> None:
    """Empty the test worker's PostgreSQL schema (every table, the version table included)."""
    schema = re.search(r"search_path%3D(\w+)", url).group(1)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    finally:
        engine.dispose()


@pytest.fixture
def clean_url(database_url):
    """This test's database with no table in it (a new SQLite file, or the worker's PostgreSQL
    schema emptied before and after)."""
    if database_url.startswith("sqlite"):
        yield database_url
        return
    wipe(database_url)
    yield database_url
    wipe(database_url)


def versions(url: str) -> set[str]:
    """The rows of the version table."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return set(connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
    finally:
        engine.dispose()


@pytest.fixture
def migration_app(clean_url, app_factory):
    """An app whose schema comes from Alembic: no create_all, no start-up check."""
    return app_factory(CREATE_TABLES=False, SCHEMA_CHECK=False)


@pytest.fixture
def sqlite_only():
    """For what only concerns SQLite: the PostgreSQL pass leaves it to the SQLite pass."""
    if PG_URL:
        pytest.skip("SQLite only; runs in the SQLite pass")


@pytest.fixture
def postgresql_only():
    """For what only PostgreSQL does (transactional DDL under kill -9, advisory locks)."""
    if not PG_URL:
        pytest.skip("PostgreSQL only; set ENGAGE_TEST_DATABASE_URL")


def sibling_database(url: str, tmp_path: Path, name: str) -> str:
    """A second empty database beside the test's: another SQLite file, or another PostgreSQL schema."""
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / (name + '.sqlite')}"
    schema = re.search(r"search_path%3D(\w+)", url).group(1)
    sibling = f"{schema}_{name}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {sibling} CASCADE"))
        connection.execute(sa.text(f"CREATE SCHEMA {sibling}"))
    engine.dispose()
    return url.replace(f"search_path%3D{schema}", f"search_path%3D{sibling}")


def drop_sibling(url: str) -> None:
    """Remove a sibling made by ``sibling_database`` (the SQLite file goes with tmp_path)."""
    if url.startswith("postgresql"):
        schema = re.search(r"search_path%3D(\w+)", url).group(1)
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


def schema_dump(url: str) -> list[str]:
    """Every table, column, constraint and index as the database itself describes it, sorted
    (the version table left out): two databases with equal dumps have the same schema."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                rows = connection.execute(sa.text(
                    "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
                    f" AND tbl_name != '{VERSION_TABLE}'"))
                return sorted(f"{kind} {name}: {' '.join(sql.split())}" for kind, name, sql in rows)
            columns = connection.execute(sa.text(
                "SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length, "
                "is_nullable, column_default FROM information_schema.columns "
                f"WHERE table_schema = current_schema() AND table_name != '{VERSION_TABLE}'"))
            constraints = connection.execute(sa.text(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                f"WHERE connamespace = current_schema()::regnamespace AND conrelid::regclass::text != '{VERSION_TABLE}'"))
            indexes = connection.execute(sa.text(
                "SELECT tablename, indexname, indexdef FROM pg_indexes "
                f"WHERE schemaname = current_schema() AND tablename != '{VERSION_TABLE}'"))
            return sorted([f"column {tuple(row)}" for row in columns]
                          + [f"constraint {tuple(row)}" for row in constraints]
                          + [f"index {table} {name}: {re.sub(r' ON [a-z0-9_]+[.]', ' ON ', sql)}"
                             for table, name, sql in indexes])
    finally:
        engine.dispose()


def heads(app=None) -> dict[str, str]:
    """Each built-in branch's head revision today (tests name them rather than assume the
    history's length); without ``app``, from the built-in plugins' folders."""
    if app is None:
        from core.plugins import PluginHost

        host = PluginHost(0)
        host.load(group=None)
    else:
        host = app.extensions["engage.plugins"]
    script = load_scripts(branch_folders(host))
    return {branch: script.get_revision(f"{branch}@head").revision for branch in BUILTIN_BRANCHES}


def to_baseline_shape(app, url: str) -> None:
    """Turn a database made by today's ``create_all`` into one an older release made: drop every
    table and column the baselines do not have (what later revisions added)."""
    tables = {table.name: table for module in baseline_modules(app) for table in module.TABLES}
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            inspector = sa.inspect(connection)
            later = [name for name in inspector.get_table_names() if name not in tables]
            if later:  # dropped in the order their foreign keys allow
                reflected = sa.MetaData()
                reflected.reflect(connection, only=later)
                reflected.drop_all(connection, tables=[reflected.tables[name] for name in later])
            for name in inspector.get_table_names():
                if name not in tables:
                    continue
                for index in inspector.get_indexes(name):  # later revisions add and change indexes
                    if not index.get("duplicates_constraint"):  # PostgreSQL's own for a UNIQUE constraint
                        connection.execute(sa.text(f"DROP INDEX {index['name']}"))
                extra = [c["name"] for c in inspector.get_columns(name) if c["name"] not in tables[name].c]
                for column in extra:
                    connection.execute(sa.text(f"ALTER TABLE {name} DROP COLUMN {column}"))
                present = {index["name"] for index in sa.inspect(connection).get_indexes(name)}
                for index in tables[name].indexes:
                    if index.name not in present:
                        index.create(connection)
    finally:
        engine.dispose()


def baseline_modules(app) -> list:
    """The first revision of each of ``app``'s branches, core's first."""
    from core.migrations.adopt import baselines

    return [rev.module for rev in baselines(load_scripts(branch_folders(app.extensions["engage.plugins"])))]


def _decode(column: sa.Column, value):
    if value is None:
        return None
    if isinstance(column.type, sa.LargeBinary):
        return base64.b64decode(value["b64"])
    if isinstance(column.type, sa.DateTime):
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    if isinstance(column.type, sa.Date):
        return date.fromisoformat(value)
    return value


def load_baseline_rows(app, url: str) -> dict[str, int]:
    """Insert tests/data/baseline_rows.json (a small demo library, every table filled, made when
    the baselines were written) through the baselines' own table definitions, never the models.
    Returns the rows per table."""
    data = json.loads(BASELINE_ROWS.read_text())
    engine = sa.create_engine(url)
    counts = {}
    try:
        with engine.begin() as connection:
            for module in baseline_modules(app):
                for table in module.TABLES:
                    stored = data.pop(table.name)
                    rows = [{name: _decode(table.c[name], value) for name, value in zip(stored["columns"], row)}
                            for row in stored["rows"]]
                    if rows:
                        connection.execute(table.insert(), rows)
                    counts[table.name] = len(rows)
                    _advance_sequence(connection, table)
        assert not data, f"rows for tables no baseline has: {sorted(data)}"
    finally:
        engine.dispose()
    return counts


def _advance_sequence(connection, table: sa.Table) -> None:
    # Rows inserted with their ids leave PostgreSQL's sequences behind; the app's next insert
    # would collide. (SQLite numbers from the largest rowid.)
    if connection.dialect.name != "postgresql":
        return
    for column in table.primary_key.columns:
        sequence = connection.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                      {"t": table.name, "c": column.name}).scalar()
        if sequence:
            connection.execute(sa.text(f"SELECT setval('{sequence}', (SELECT max({column.name}) FROM {table.name}))"))


def all_rows(url: str) -> dict[str, list[dict]]:
    """Every row of every table (the version table left out), each table's rows sorted."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            metadata = sa.MetaData()
            metadata.reflect(connection)
            return {name: sorted((dict(row._mapping) for row in connection.execute(sa.select(table))), key=repr)
                    for name, table in metadata.tables.items() if name != VERSION_TABLE}
    finally:
        engine.dispose()


@pytest.fixture
def engage_command(clean_url, tmp_path, monkeypatch):
    """Run ``engage …`` as an operator would, against this test's database, with the start-up
    check on (the suite turns it off elsewhere)."""
    from click.testing import CliRunner

    from core.cli import main

    monkeypatch.setenv("ENGAGE_DATABASE_URL", clean_url)
    monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("ENGAGE_PLUGIN_REFRESH_SECONDS", "0")
    monkeypatch.setenv("ENGAGE_SCHEMA_CHECK", "true")
    monkeypatch.setenv("ENGAGE_REWARD_JOBS", "false")
    monkeypatch.setenv("ENGAGE_JOBS_IMMEDIATE", "true")
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return run


def _owned(name, type_):
    from core.migrations.scripts import table_owner

    return type_ != "table" or (name != VERSION_TABLE and table_owner(name, BUILTIN_BRANCHES) is not None)


def model_differences(url: str) -> list:
    """What Alembic would change to make the database match the models (core's and the built-in
    plugins' tables; the version table and test plugins' tables left out)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "compare_type": True, "compare_server_default": True,
                "include_name": lambda name, type_, parents: _owned(name, type_),
                "include_object": lambda obj, name, type_, reflected, compare_to: _owned(name, type_)})
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
