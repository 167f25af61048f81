"""The contributions plugin's tables when migrations began: the baseline of its branch.

Frozen history: plain SQLAlchemy types, never the plugin's models. ``TABLES`` is what this
revision creates; ``engage db upgrade`` also creates any of them missing from a database made
before migrations.
"""

import sqlalchemy as sa
from alembic import op

revision = "contributions_0001_baseline"
down_revision = None
branch_labels = ("contributions",)
depends_on = "core_0001_baseline"

metadata = sa.MetaData()
# Core's users, named by the foreign keys below (created by core's baseline, not here).
sa.Table("core_user", metadata, sa.Column("id", sa.Integer(), primary_key=True))

sa.Table(
    "contributions_challenge", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("title_en", sa.String(120), nullable=False),
    sa.Column("title_zh", sa.String(120), nullable=False),
    sa.Column("description_en", sa.String(4000), nullable=False),
    sa.Column("description_zh", sa.String(4000), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("points", sa.Integer(), nullable=False),
    sa.Column("feature_points", sa.Integer(), nullable=False),
    sa.Column("max_per_user", sa.Integer(), nullable=False),
    sa.Column("require_text", sa.Boolean(), nullable=False),
    sa.Column("require_link", sa.Boolean(), nullable=False),
    sa.Column("require_image", sa.Boolean(), nullable=False),
    sa.Column("allow_image", sa.Boolean(), nullable=False),
    sa.Column("created_by", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["created_by"], ["core_user.id"]),
)

sa.Table(
    "contributions_image", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("data", sa.LargeBinary(), nullable=False),
    sa.Column("content_type", sa.String(40), nullable=False),
    sa.Column("width", sa.Integer(), nullable=False),
    sa.Column("height", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("fingerprint", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.Index("ix_contributions_image_fingerprint", "fingerprint"),
    sa.Index("ix_contributions_image_user_id", "user_id"),
)

sa.Table(
    "contributions_submission", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("challenge_id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("text", sa.String(10000), nullable=False),
    sa.Column("link", sa.String(500), nullable=True),
    sa.Column("image_id", sa.Integer(), nullable=True),
    sa.Column("text_hash", sa.String(64), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(500), nullable=True),
    sa.Column("flags", sa.String(80), nullable=False),
    sa.Column("duplicate_of", sa.Integer(), nullable=True),
    sa.Column("featured_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("like_count", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["challenge_id"], ["contributions_challenge.id"]),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.ForeignKeyConstraint(["image_id"], ["contributions_image.id"]),
    sa.Index("ix_contributions_submission_challenge_id", "challenge_id"),
    sa.Index("ix_contributions_submission_status", "status"),
    sa.Index("ix_contributions_submission_text_hash", "text_hash"),
    sa.Index("ix_contributions_submission_user_id", "user_id"),
)

sa.Table(
    "contributions_decision", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("submission_id", sa.Integer(), nullable=False),
    sa.Column("actor_id", sa.Integer(), nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(500), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["submission_id"], ["contributions_submission.id"]),
    sa.ForeignKeyConstraint(["actor_id"], ["core_user.id"]),
    sa.Index("ix_contributions_decision_submission_id", "submission_id"),
)

sa.Table(
    "contributions_like", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("submission_id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("author_id", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("submission_id", "user_id", name="uq_contributions_like_once"),
    sa.ForeignKeyConstraint(["submission_id"], ["contributions_submission.id"]),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.ForeignKeyConstraint(["author_id"], ["core_user.id"]),
    sa.Index("ix_contributions_like_submission_id", "submission_id"),
    sa.Index("ix_contributions_like_user_id", "user_id"),
)

TABLES = [table for table in metadata.sorted_tables if table.name.startswith("contributions_")]


def upgrade() -> None:
    """Create the plugin's tables."""
    metadata.create_all(op.get_bind(), tables=TABLES, checkfirst=False)


def downgrade() -> None:
    """Drop the plugin's tables."""
    metadata.drop_all(op.get_bind(), tables=TABLES, checkfirst=False)
