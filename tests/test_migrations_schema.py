"""The migrations and the models describe one schema; every revision goes down and up again.

``test_models_equal_the_migrated_schema`` is the test that tells you a revision is missing:
after changing a model, write one with
``engage db revision -m "what changed" --branch core|<plugin> --autogenerate``.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from core.migrations import downgrade, upgrade
from core.migrations.scripts import applied, branch_folders, branch_name, in_order, load_scripts, table_owner
from migration_support import (BUILTIN_BRANCHES, drop_sibling, model_differences, schema_dump,
                               sibling_database, versions)

pytestmark = pytest.mark.migrations


def test_models_equal_the_migrated_schema(migration_app, clean_url):
    """Upgrade an empty database to every head, then ask Alembic what the models would change."""
    upgrade(migration_app)
    differences = model_differences(clean_url)
    assert differences == [], (
        "The models and the migrations disagree. Write a revision for the branch whose tables changed: "
        "`engage db revision -m \"what changed\" --branch core|<plugin> --autogenerate`, read it, and run "
        f"`engage db upgrade`. Differences: {differences}")


def test_every_model_table_belongs_to_a_branch(migration_app):
    """A table named outside the prefixes would escape both the migrations and the test above.
    (The app is built so that every plugin's models are imported, as they are in the suite.)"""
    tables = [(mapper.class_.__module__, mapper.local_table.name) for mapper in SQLModel._sa_registry.mappers]
    assert len(tables) > 40
    strays = [f"{table} ({module})" for module, table in tables
              if module.split(".")[0] in ("core", "plugins") and table_owner(table, BUILTIN_BRANCHES) is None]
    assert strays == [], "name each table <branch>_…: " + ", ".join(strays)


def test_baselines_make_exactly_the_tables_create_all_makes(migration_app, clean_url, tmp_path):
    """Column by column, constraint by constraint, index by index (the partial index's WHERE, SQLite's
    WITHOUT ROWID), as the database itself reports them."""
    models_url = sibling_database(clean_url, tmp_path, "models")
    try:
        engine = sa.create_engine(models_url)
        SQLModel.metadata.create_all(engine, tables=[t for t in SQLModel.metadata.sorted_tables
                                                     if table_owner(t.name, BUILTIN_BRANCHES)])
        engine.dispose()
        upgrade(migration_app)
        assert schema_dump(clean_url) == schema_dump(models_url)
    finally:
        drop_sibling(models_url)


def test_every_revision_downgrades_to_base_and_upgrades_again(migration_app, clean_url):
    upgrade(migration_app)
    at_heads = schema_dump(clean_url)
    script = load_scripts(branch_folders(migration_app.extensions["engage.plugins"]))
    for rev in reversed(in_order(script)):
        target = rev.down_revision or f"{branch_name(rev)}@base"
        outcome = downgrade(migration_app, target if isinstance(target, str) else target[0])
        assert outcome.steps == [rev.revision]
        assert rev.revision not in applied(script, versions(clean_url))
    assert schema_dump(clean_url) == []  # only the (empty) version table is left
    outcome = upgrade(migration_app)
    assert outcome.steps == [rev.revision for rev in in_order(script)]
    assert schema_dump(clean_url) == at_heads


def test_each_plugin_branch_starts_after_cores_baseline(migration_app):
    script = load_scripts(branch_folders(migration_app.extensions["engage.plugins"]))
    bases = {branch_name(script.get_revision(base)): script.get_revision(base) for base in script.get_bases()}
    assert set(bases) == set(BUILTIN_BRANCHES)
    for branch, rev in bases.items():
        assert rev.revision == f"{branch}_0001_baseline"
        assert rev.dependencies == (None if branch == "core" else "core_0001_baseline")
        assert all(table.name.startswith(branch + "_") for table in rev.module.TABLES)
