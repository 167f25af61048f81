"""The events plugin's tables: events, registrations (seats and the waitlist) and check-ins.

Frozen history: plain SQLAlchemy types, never the plugin's models.
"""

import sqlalchemy as sa
from alembic import op

revision = "events_0001_baseline"
down_revision = None
branch_labels = ("events",)
depends_on = "core_0001_baseline"


def upgrade() -> None:
    op.create_table(
        "events_event",
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
    op.create_table(
        "events_registration",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["events_event.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
        sa.UniqueConstraint("event_id", "user_id", name="uq_events_registration_once"),
    )
    op.create_index("ix_events_registration_event_status", "events_registration", ["event_id", "status"])
    op.create_index("ix_events_registration_user_id", "events_registration", ["user_id"])
    op.create_table(
        "events_checkin",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events_event.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
        sa.ForeignKeyConstraint(["actor_id"], ["core_user.id"]),
        sa.UniqueConstraint("event_id", "user_id", name="uq_events_checkin_once"),
    )
    op.create_index("ix_events_checkin_user_id", "events_checkin", ["user_id"])


def downgrade() -> None:
    op.drop_table("events_checkin")
    op.drop_table("events_registration")
    op.drop_table("events_event")
