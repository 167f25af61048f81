"""Events waiting to be counted into the rollups (``insights_pending``)

The award path appended into the rollups' library-wide counters inside every award's
transaction; from this revision it appends one row here and a job folds them.

Revision ID: insights_0002_pending
Revises: insights_0001_baseline

Frozen history: plain ``sa.`` types, never the plugin's models.
"""

import sqlalchemy as sa
from alembic import op

revision = "insights_0002_pending"
down_revision = "insights_0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the pending events' table."""
    op.create_table(
        "insights_pending",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("plugin", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("medium", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("insights_pending")
