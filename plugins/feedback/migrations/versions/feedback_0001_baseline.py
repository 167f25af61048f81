"""The feedback plugin's tables when migrations began: the baseline of its branch.

Frozen history: plain SQLAlchemy types, never the plugin's models. ``TABLES`` is what this
revision creates; ``engage db upgrade`` also creates any of them missing from a database made
before migrations.
"""

import sqlalchemy as sa
from alembic import op

revision = "feedback_0001_baseline"
down_revision = None
branch_labels = ("feedback",)
depends_on = "core_0001_baseline"

metadata = sa.MetaData()
# Core's users, named by the foreign keys below (created by core's baseline, not here).
sa.Table("core_user", metadata, sa.Column("id", sa.Integer(), primary_key=True))

sa.Table(
    "feedback_category", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("key", sa.String(40), nullable=False),
    sa.Column("name_en", sa.String(80), nullable=False),
    sa.Column("name_zh", sa.String(80), nullable=False),
    sa.Column("first_response_hours", sa.Integer(), nullable=False),
    sa.Column("resolution_hours", sa.Integer(), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.UniqueConstraint("key"),
)

sa.Table(
    "feedback_department", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name_en", sa.String(80), nullable=False),
    sa.Column("name_zh", sa.String(80), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
)

sa.Table(
    "feedback_item", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("submitter_id", sa.Integer(), nullable=False),
    sa.Column("category_id", sa.Integer(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("location", sa.String(120), nullable=False),
    sa.Column("show_name", sa.Boolean(), nullable=False),
    sa.Column("allow_publish", sa.Boolean(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("assignee_id", sa.Integer(), nullable=True),
    sa.Column("department_id", sa.Integer(), nullable=True),
    sa.Column("responder_id", sa.Integer(), nullable=True),
    sa.Column("rating", sa.Integer(), nullable=True),
    sa.Column("reopen_count", sa.Integer(), nullable=False),
    sa.Column("merged_into_id", sa.Integer(), nullable=True),
    sa.Column("published", sa.Boolean(), nullable=False),
    sa.Column("we_did_en", sa.Text(), nullable=False),
    sa.Column("we_did_zh", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["submitter_id"], ["core_user.id"]),
    sa.ForeignKeyConstraint(["category_id"], ["feedback_category.id"]),
    sa.ForeignKeyConstraint(["assignee_id"], ["core_user.id"]),
    sa.ForeignKeyConstraint(["department_id"], ["feedback_department.id"]),
    sa.ForeignKeyConstraint(["responder_id"], ["core_user.id"]),
    sa.ForeignKeyConstraint(["merged_into_id"], ["feedback_item.id"]),
    sa.Index("ix_feedback_item_assignee_id", "assignee_id"),
    sa.Index("ix_feedback_item_category_id", "category_id"),
    sa.Index("ix_feedback_item_created_at", "created_at"),
    sa.Index("ix_feedback_item_responder_id", "responder_id"),
    sa.Index("ix_feedback_item_state", "state"),
    sa.Index("ix_feedback_item_submitter_id", "submitter_id"),
)

sa.Table(
    "feedback_event", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("item_id", sa.Integer(), nullable=False),
    sa.Column("actor_id", sa.Integer(), nullable=True),
    sa.Column("from_state", sa.String(16), nullable=False),
    sa.Column("to_state", sa.String(16), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.Column("public", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["item_id"], ["feedback_item.id"]),
    sa.ForeignKeyConstraint(["actor_id"], ["core_user.id"]),
    sa.Index("ix_feedback_event_item_id", "item_id"),
)

sa.Table(
    "feedback_inspiration", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("item_id", sa.Integer(), nullable=False),
    sa.Column("target_key", sa.String(120), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("url", sa.String(500), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("actor_id", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("item_id"),
    sa.ForeignKeyConstraint(["item_id"], ["feedback_item.id"]),
    sa.ForeignKeyConstraint(["actor_id"], ["core_user.id"]),
)

sa.Table(
    "feedback_me_too", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("item_id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("item_id", "user_id", name="uq_feedback_me_too"),
    sa.ForeignKeyConstraint(["item_id"], ["feedback_item.id"]),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.Index("ix_feedback_me_too_item_id", "item_id"),
)

sa.Table(
    "feedback_photo", metadata,
    sa.Column("item_id", sa.Integer(), primary_key=True),
    sa.Column("data", sa.LargeBinary(), nullable=False),
    sa.Column("content_type", sa.String(40), nullable=False),
    sa.Column("width", sa.Integer(), nullable=False),
    sa.Column("height", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["item_id"], ["feedback_item.id"]),
)

TABLES = [table for table in metadata.sorted_tables if table.name.startswith("feedback_")]


def upgrade() -> None:
    """Create the plugin's tables."""
    metadata.create_all(op.get_bind(), tables=TABLES, checkfirst=False)


def downgrade() -> None:
    """Drop the plugin's tables."""
    metadata.drop_all(op.get_bind(), tables=TABLES, checkfirst=False)
