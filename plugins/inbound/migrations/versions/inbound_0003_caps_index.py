"""The caps' index leads with (reader, week) and holds the rule.

Each batch reads what the capped rules paid its readers in the weeks of its events. Asked by
reader, week and rule together, with the rule in the index, SQLite finds those rows through it;
before, it chose the index of (rule, event) and read every payment the capped rules ever made,
a little more with every week the library runs.

Frozen history: plain SQLAlchemy, never the plugin's models.
"""

from alembic import op

revision = "inbound_0003_caps_index"
down_revision = "inbound_0002_unmatched_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Replace the (reader, week) index with (reader, week, rule)."""
    op.create_index("ix_inbound_payment_caps", "inbound_payment", ["user_id", "local_week", "rule_id"])
    op.drop_index("ix_inbound_payment_user_week", table_name="inbound_payment")


def downgrade() -> None:
    """Index payments by (reader, week) again."""
    op.create_index("ix_inbound_payment_user_week", "inbound_payment", ["user_id", "local_week"])
    op.drop_index("ix_inbound_payment_caps", table_name="inbound_payment")
