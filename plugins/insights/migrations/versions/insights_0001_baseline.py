"""The insights plugin's tables when it began: rollups, campaigns and messages (the baseline of its branch).

Frozen history: plain SQLAlchemy types, never the plugin's models. ``TABLES`` is what this
revision creates.
"""

import sqlalchemy as sa
from alembic import op

revision = "insights_0001_baseline"
down_revision = None
branch_labels = ("insights",)
depends_on = "core_0001_baseline"

metadata = sa.MetaData()
# Core's users, named by the foreign key below (created by core's baseline, not here).
sa.Table("core_user", metadata, sa.Column("id", sa.Integer(), primary_key=True))

sa.Table(
    "insights_active", metadata,
    sa.Column("period", sa.String(8), primary_key=True),
    sa.Column("period_key", sa.String(24), primary_key=True),
    sa.Column("plugin", sa.String(40), primary_key=True),
    sa.Column("faculty", sa.String(80), primary_key=True),
    sa.Column("readers", sa.Integer(), nullable=False),
    sa.Column("new_readers", sa.Integer(), nullable=False),
    sa.Column("retained", sa.Integer(), nullable=False),
    sqlite_with_rowid=False,
)

sa.Table(
    "insights_campaign", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("tag", sa.String(120), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("tag"),
)

sa.Table(
    "insights_campaign_day", metadata,
    sa.Column("day", sa.Date(), primary_key=True),
    sa.Column("campaign_id", sa.Integer(), primary_key=True),
    sa.Column("medium", sa.String(16), primary_key=True),
    sa.Column("views", sa.Integer(), nullable=False),
    sa.Column("visitors", sa.Integer(), nullable=False),
    sa.Column("conversions", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["campaign_id"], ["insights_campaign.id"]),
    sqlite_with_rowid=False,
)

sa.Table(
    "insights_cohort", metadata,
    sa.Column("cohort", sa.String(24), primary_key=True),
    sa.Column("week", sa.String(24), primary_key=True),
    sa.Column("readers", sa.Integer(), nullable=False),
)

sa.Table(
    "insights_counter", metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("value", sa.Integer(), nullable=False),
)

sa.Table(
    "insights_kind", metadata,
    sa.Column("term", sa.String(24), primary_key=True),
    sa.Column("plugin", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(60), primary_key=True),
    sa.Column("readers", sa.Integer(), nullable=False),
    sa.Column("events", sa.Integer(), nullable=False),
)

sa.Table(
    "insights_kind_reader", metadata,
    sa.Column("term", sa.String(24), primary_key=True),
    sa.Column("plugin", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(60), primary_key=True),
    sa.Column("user_id", sa.Integer(), primary_key=True),
    sqlite_with_rowid=False,
)

sa.Table(
    "insights_message", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("sender_id", sa.Integer(), nullable=True),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("link", sa.String(300), nullable=False),
    sa.Column("segment", sa.Text(), nullable=False),
    sa.Column("recipients", sa.Integer(), nullable=False),
    sa.Column("sent", sa.Integer(), nullable=False),
    sa.Column("last_user_id", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["sender_id"], ["core_user.id"]),
)

sa.Table(
    "insights_reader", metadata,
    sa.Column("user_id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("first_day", sa.Date(), nullable=False),
    sa.Column("first_week", sa.String(24), nullable=False),
    sa.Column("returned_day", sa.Date(), nullable=True),
    sa.Column("last_day", sa.Date(), nullable=False),
    sa.Index("ix_insights_reader_first_day", "first_day"),
    sa.Index("ix_insights_reader_last_day", "last_day"),
)

sa.Table(
    "insights_salt", metadata,
    sa.Column("day", sa.Date(), primary_key=True),
    sa.Column("salt", sa.String(64), nullable=False),
)

sa.Table(
    "insights_touch", metadata,
    sa.Column("period", sa.String(8), primary_key=True),
    sa.Column("period_key", sa.String(24), primary_key=True),
    sa.Column("plugin", sa.String(40), primary_key=True),
    sa.Column("user_id", sa.Integer(), primary_key=True),
    sqlite_with_rowid=False,
)

sa.Table(
    "insights_visitor", metadata,
    sa.Column("day", sa.Date(), primary_key=True),
    sa.Column("campaign_id", sa.Integer(), primary_key=True),
    sa.Column("digest", sa.String(32), primary_key=True),
    sqlite_with_rowid=False,
)

TABLES = [table for table in metadata.sorted_tables if table.name.startswith("insights_")]


def upgrade() -> None:
    """Create the plugin's tables."""
    metadata.create_all(op.get_bind(), tables=TABLES, checkfirst=False)


def downgrade() -> None:
    """Drop the plugin's tables."""
    metadata.drop_all(op.get_bind(), tables=TABLES, checkfirst=False)
