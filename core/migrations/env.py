"""Alembic's environment for Library Engage, run by ``core.migrations`` (the ``engage db`` commands).

Nothing here reads a file or builds the app: the runner hands over a connection already in its
transaction (so every pending revision, and an adoption before them, commits or rolls back as
one) and the options of this run (autogenerate's filters, a callback per applied step).
"""

from alembic import context

from core.migrations.scripts import VERSION_TABLE

config = context.config
connection = config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("Run migrations with `engage db …`: it gives Alembic its database connection.")

context.configure(
    connection=connection,
    version_table=VERSION_TABLE,
    # SQLite cannot alter most of a table in place: autogenerate writes batch operations,
    # which copy the table on SQLite and are plain ALTERs on PostgreSQL.
    render_as_batch=True,
    compare_type=True,
    **config.attributes.get("options", {}),
)

with context.begin_transaction():
    context.run_migrations()
