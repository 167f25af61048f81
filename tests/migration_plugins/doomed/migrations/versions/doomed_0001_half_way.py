"""Change the schema and the data, then fail (or hang until killed, when DOOMED_MARKER is set).

Revision ID: doomed_0001_half_way
"""

import os
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "doomed_0001_half_way"
down_revision = None
branch_labels = ("doomed",)
depends_on = "core_0001_baseline"


def upgrade() -> None:
    """Half of a migration: a new table with a row, a new column on core's users, a changed row."""
    note = op.create_table("doomed_note", sa.Column("id", sa.Integer(), primary_key=True),
                           sa.Column("text", sa.String(40), nullable=False))
    op.bulk_insert(note, [{"id": 1, "text": "written half-way"}])
    with op.batch_alter_table("core_user") as batch:
        batch.add_column(sa.Column("doomed_flag", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute("UPDATE core_user SET display_name = 'changed half-way'")
    marker = os.environ.get("DOOMED_MARKER")
    if marker:
        Path(marker).write_text("half-way")
        time.sleep(120)  # killed here by the test
    raise RuntimeError("this revision fails half-way on purpose")


def downgrade() -> None:
    """Nothing to undo: the upgrade never completes."""
