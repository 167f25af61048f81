"""Schema migrations: Alembic owns the schema, as core's branch plus one branch per plugin.

Offers ``upgrade``/``downgrade`` (one transaction each, SQLite copied first, databases from before
migrations adopted), ``require_current`` (the app's start-up check) and the ``engage db`` commands.
"""

from core.migrations.check import SchemaNotCurrent, require_current, schema_problem
from core.migrations.runner import MigrationError, Outcome, downgrade, drop_every_table, upgrade
from core.migrations.scripts import VERSION_TABLE

__all__ = ["VERSION_TABLE", "MigrationError", "Outcome", "SchemaNotCurrent", "downgrade", "drop_every_table",
           "require_current", "schema_problem", "upgrade"]
