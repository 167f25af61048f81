"""The inbound plugin's tables: events from the library's systems, the rules that pay them, what
each rule paid, replays and CSV uploads.

Frozen history: plain SQLAlchemy types, never the plugin's models. ``TABLES`` is what this
revision creates.
"""

import sqlalchemy as sa
from alembic import op

revision = "inbound_0001_baseline"
down_revision = None
branch_labels = ("inbound",)
depends_on = "core_0001_baseline"

metadata = sa.MetaData()
sa.Table("core_user", metadata, sa.Column("id", sa.Integer(), primary_key=True))


def _ts(name, nullable=False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


sa.Table(
    "inbound_event", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("source_id", sa.String(120), nullable=False),
    sa.Column("kind", sa.String(60), nullable=False),
    sa.Column("reader_number", sa.String(64), nullable=True),
    sa.Column("user_id", sa.Integer(), nullable=True),
    _ts("occurred_at"),
    _ts("received_at"),
    sa.Column("origin", sa.String(60), nullable=False),
    sa.Column("local_date", sa.Date(), nullable=False),
    sa.Column("local_week", sa.String(10), nullable=False),
    sa.Column("local_minute", sa.Integer(), nullable=False),
    sa.Column("local_weekday", sa.Integer(), nullable=False),
    sa.UniqueConstraint("source_id", name="uq_inbound_event_source"),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.Index("ix_inbound_event_kind_occurred", "kind", "occurred_at"),
    sa.Index("ix_inbound_event_kind_id", "kind", "id"),
    sa.Index("ix_inbound_event_user", "user_id"),
    sa.Index("ix_inbound_event_number", "reader_number"),
)

sa.Table(
    "inbound_rule", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("kind", sa.String(60), nullable=False),
    sa.Column("points", sa.Integer(), nullable=False),
    sa.Column("day_points", sa.Integer(), nullable=True),
    sa.Column("day_count", sa.Integer(), nullable=True),
    sa.Column("week_points", sa.Integer(), nullable=True),
    sa.Column("week_count", sa.Integer(), nullable=True),
    sa.Column("window_start", sa.Integer(), nullable=True),
    sa.Column("window_end", sa.Integer(), nullable=True),
    sa.Column("weekdays", sa.String(7), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("created_by", sa.Integer(), nullable=True),
    _ts("updated_at"),
    sa.ForeignKeyConstraint(["created_by"], ["core_user.id"]),
    sa.Index("ix_inbound_rule_kind", "kind"),
)

sa.Table(
    "inbound_payment", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("rule_id", sa.Integer(), nullable=False),
    sa.Column("event_id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("local_date", sa.Date(), nullable=False),
    sa.Column("local_week", sa.String(10), nullable=False),
    sa.Column("points", sa.Integer(), nullable=False),
    _ts("paid_at"),
    sa.UniqueConstraint("rule_id", "event_id", name="uq_inbound_payment_once"),
    sa.ForeignKeyConstraint(["rule_id"], ["inbound_rule.id"]),
    sa.ForeignKeyConstraint(["event_id"], ["inbound_event.id"]),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.Index("ix_inbound_payment_user_week", "user_id", "local_week"),
    sa.Index("ix_inbound_payment_event", "event_id"),
)

sa.Table(
    "inbound_replay", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("rule_id", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("total", sa.Integer(), nullable=False),
    sa.Column("done", sa.Integer(), nullable=False),
    sa.Column("last_event_id", sa.Integer(), nullable=False),
    sa.Column("events_paid", sa.Integer(), nullable=False),
    sa.Column("points", sa.Integer(), nullable=False),
    sa.Column("requested_by", sa.Integer(), nullable=True),
    _ts("requested_at"),
    _ts("finished_at", nullable=True),
    sa.ForeignKeyConstraint(["rule_id"], ["inbound_rule.id"]),
    sa.ForeignKeyConstraint(["requested_by"], ["core_user.id"]),
    sa.Index("ix_inbound_replay_rule_id", "rule_id"),
)

sa.Table(
    "inbound_upload", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("rows", sa.String(), nullable=False),
    sa.Column("good", sa.Integer(), nullable=False),
    sa.Column("bad", sa.Integer(), nullable=False),
    sa.Column("created_by", sa.Integer(), nullable=True),
    _ts("created_at"),
    _ts("applied_at", nullable=True),
    sa.ForeignKeyConstraint(["created_by"], ["core_user.id"]),
)

TABLES = [table for table in metadata.sorted_tables if table.name.startswith("inbound_")]


def upgrade() -> None:
    """Create the plugin's tables."""
    metadata.create_all(op.get_bind(), tables=TABLES, checkfirst=False)


def downgrade() -> None:
    """Drop the plugin's tables."""
    metadata.drop_all(op.get_bind(), tables=TABLES, checkfirst=False)
