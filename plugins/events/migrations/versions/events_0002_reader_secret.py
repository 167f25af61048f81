"""Readers can replace their personal code and calendar address (``events_reader_secret``).

Both were HMACs of the reader's id alone, so a shared calendar address or a photo of the code
worked for ever; from this revision each also carries a count the reader can move on. Readers
without a row keep the codes they have.

Frozen history: plain ``sa.`` types, never the plugin's models.
"""

import sqlalchemy as sa
from alembic import op

revision = "events_0002_reader_secret"
down_revision = "events_0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table of replaced codes."""
    op.create_table(
        "events_reader_secret",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("core_user.id"), primary_key=True),
        sa.Column("code_version", sa.Integer(), nullable=False),
        sa.Column("feed_version", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    """Drop it: every reader's code and address are the first ones again."""
    op.drop_table("events_reader_secret")
