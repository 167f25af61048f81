"""Adopting a database made before migrations: bring it to every branch's baseline, then stamp it.

Older releases made their tables with ``create_all`` and never changed a table once it existed,
so an old database lacks what came later: whole tables (``core_rank_count``,
``core_pending_reward``, a plugin's tables), columns (``core_user.public_profile``) and indexes.
Each baseline revision lists its tables in ``TABLES``; whatever of them is missing is made here,
inside the upgrade's transaction. Nothing is dropped except a malformed table that is rebuilt
from the ledger anyway (``REBUILT_FROM_LEDGER``, e.g. rank counts from before their ``level``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import postgresql


class AdoptionError(RuntimeError):
    """The old database cannot be brought to the baseline without a person deciding how."""


@dataclass
class Adoption:
    """What adopting did, in sentences for the operator, and whether totals must be rebuilt."""

    notes: list[str] = field(default_factory=list)
    rebuild_totals: bool = False


def is_made_before_migrations(table_names: set[str], version_table: str) -> bool:
    """Core's tables are there but no version table: a database from before migrations."""
    return version_table not in table_names and any(name.startswith("core_") for name in table_names)


def baselines(script: ScriptDirectory) -> list:
    """Every branch's first revision, core's first (the others depend on it)."""
    bases = [script.get_revision(revision) for revision in script.get_bases()]
    return sorted(bases, key=lambda rev: "core" not in rev.branch_labels)


def adopt(connection: sa.Connection, script: ScriptDirectory) -> Adoption:
    """Create what each baseline has and the database lacks; the caller then stamps the baselines."""
    adoption = Adoption()
    operations = Operations(MigrationContext.configure(connection))
    for base in baselines(script):
        module = base.module
        tables = getattr(module, "TABLES", None)
        if tables is None:
            raise AdoptionError(f"revision {base.revision} has no TABLES, so a database made before "
                                "migrations cannot be brought to it")
        derived = set(getattr(module, "REBUILT_FROM_LEDGER", ()))
        defaults = getattr(module, "ADOPT_DEFAULTS", {})
        for table in tables:
            if _adopt_table(connection, operations, table, derived, defaults, adoption.notes):
                adoption.rebuild_totals |= table.name in derived
    return adoption


def _adopt_table(connection, operations: Operations, table: sa.Table, derived: set[str],
                 defaults: dict, notes: list[str]) -> bool:
    """Bring one table to its baseline shape; True when it was (re)made empty."""
    inspector = sa.inspect(connection)
    if not inspector.has_table(table.name):
        table.create(connection)
        notes.append(f"created the missing table {table.name}")
        return True
    have = {column["name"] for column in inspector.get_columns(table.name)}
    want = [column.name for column in table.columns]
    primary_key = inspector.get_pk_constraint(table.name)["constrained_columns"]
    if table.name in derived and (set(want) - have or primary_key != [c.name for c in table.primary_key]):
        table.drop(connection)
        table.create(connection)
        notes.append(f"remade {table.name} in its current shape (it is rebuilt from the ledger)")
        return True
    indexed = {index["name"] for index in inspector.get_indexes(table.name)}
    lacking = sorted(index.name for index in table.indexes if index.name not in indexed)
    for column in table.columns:
        if column.name not in have:
            _add_column(connection, operations, table, column, defaults, notes)
    present = {index["name"] for index in sa.inspect(connection).get_indexes(table.name)}
    for index in sorted(table.indexes, key=lambda ix: ix.name):
        if index.name not in present:  # a table copied in its baseline shape has them already
            index.create(connection)
    notes.extend(f"created the missing index {name}" for name in lacking)
    return False


def _add_column(connection, operations: Operations, table: sa.Table, column: sa.Column,
                defaults: dict, notes: list[str]) -> None:
    """Add a column an older release lacked; a NOT NULL one takes its ADOPT_DEFAULTS value."""
    key = f"{table.name}.{column.name}"
    if column.nullable:
        operations.add_column(table.name, sa.Column(column.name, column.type, nullable=True))
        notes.append(f"added the missing column {key}")
        return
    if key not in defaults:
        raise AdoptionError(f"the database lacks the column {key}, which may not be empty, and no "
                            "value is known for its existing rows")
    # Existing rows get the value through a server default, which the baseline does not have:
    # dropped again at once on PostgreSQL; on SQLite the table is copied in its baseline shape.
    operations.add_column(table.name, sa.Column(column.name, column.type, nullable=False,
                                                server_default=defaults[key]))
    if connection.dialect.name == "sqlite":
        with operations.batch_alter_table(table.name, copy_from=table, recreate="always"):
            pass
    else:
        operations.alter_column(table.name, column.name, server_default=None)
    notes.append(f"added the missing column {key} (existing rows: {_literal(defaults[key])})")


def _literal(value) -> str:
    return str(value.compile(dialect=postgresql.dialect())) if isinstance(value, sa.ClauseElement) else repr(value)
