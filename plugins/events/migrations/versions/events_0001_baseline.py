"""The events plugin's tables: events, registrations (seats and the waitlist) and check-ins.

Frozen history: plain SQLAlchemy types, never the plugin's models. ``TABLES`` is what this
revision creates.
"""

import sqlalchemy as sa
from alembic import op

revision = "events_0001_baseline"
down_revision = None
branch_labels = ("events",)
depends_on = "core_0001_baseline"

metadata = sa.MetaData()
# Core's users, named by the foreign keys below (created by core's baseline, not here).
sa.Table("core_user", metadata, sa.Column("id", sa.Integer(), primary_key=True))

sa.Table(
    "events_event", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("title_en", sa.String(120), nullable=False),
    sa.Column("title_zh", sa.String(120), nullable=False),
    sa.Column("description_en", sa.String(4000), nullable=False),
    sa.Column("description_zh", sa.String(4000), nullable=False),
    sa.Column("place", sa.String(200), nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("capacity", sa.Integer(), nullable=False),
    sa.Column("faculties", sa.String(2000), nullable=False),
    sa.Column("points", sa.Integer(), nullable=False),
    sa.Column("created_by", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["created_by"], ["core_user.id"]),
)

sa.Table(
    "events_registration", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("event_id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("event_id", "user_id", name="uq_events_registration_once"),
    sa.ForeignKeyConstraint(["event_id"], ["events_event.id"]),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.Index("ix_events_registration_event_status", "event_id", "status"),
    sa.Index("ix_events_registration_user_id", "user_id"),
)

sa.Table(
    "events_checkin", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("event_id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("method", sa.String(16), nullable=False),
    sa.Column("actor_id", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("event_id", "user_id", name="uq_events_checkin_once"),
    sa.ForeignKeyConstraint(["event_id"], ["events_event.id"]),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.ForeignKeyConstraint(["actor_id"], ["core_user.id"]),
    sa.Index("ix_events_checkin_user_id", "user_id"),
)

TABLES = [table for table in metadata.sorted_tables if table.name.startswith("events_")]


def upgrade() -> None:
    """Create the plugin's tables."""
    metadata.create_all(op.get_bind(), tables=TABLES, checkfirst=False)


def downgrade() -> None:
    """Drop the plugin's tables."""
    metadata.drop_all(op.get_bind(), tables=TABLES, checkfirst=False)
