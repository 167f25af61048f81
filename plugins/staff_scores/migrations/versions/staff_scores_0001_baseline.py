"""The staff_scores plugin's tables when migrations began: the baseline of its branch.

Frozen history: plain SQLAlchemy types, never the plugin's models. ``TABLES`` is what this
revision creates; ``engage db upgrade`` also creates any of them missing from a database made
before migrations.
"""

import sqlalchemy as sa
from alembic import op

revision = "staff_scores_0001_baseline"
down_revision = None
branch_labels = ("staff_scores",)
depends_on = "core_0001_baseline"

metadata = sa.MetaData()
# Core's users, named by the foreign keys below (created by core's baseline, not here).
sa.Table("core_user", metadata, sa.Column("id", sa.Integer(), primary_key=True))

sa.Table(
    "staff_scores_answer", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("staff_id", sa.Integer(), nullable=False),
    sa.Column("score", sa.Integer(), nullable=False),
    sa.Column("plugin", sa.String(40), nullable=False),
    sa.Column("source_ref", sa.String(120), nullable=False),
    sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["staff_id"], ["core_user.id"]),
    sa.UniqueConstraint("source_ref"),
    sa.Index("ix_staff_scores_answer_staff_id", "staff_id"),
)

sa.Table(
    "staff_scores_kudos", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("giver_id", sa.Integer(), nullable=False),
    sa.Column("receiver_id", sa.Integer(), nullable=False),
    sa.Column("message", sa.String(280), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["giver_id"], ["core_user.id"]),
    sa.ForeignKeyConstraint(["receiver_id"], ["core_user.id"]),
    sa.Index("ix_staff_scores_kudos_giver_id", "giver_id"),
    sa.Index("ix_staff_scores_kudos_receiver_id", "receiver_id"),
)

sa.Table(
    "staff_scores_preference", metadata,
    sa.Column("user_id", sa.Integer(), primary_key=True),
    sa.Column("show_publicly", sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
)

sa.Table(
    "staff_scores_rubric", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_by", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("version"),
    sa.ForeignKeyConstraint(["created_by"], ["core_user.id"]),
)

sa.Table(
    "staff_scores_criterion", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("rubric_id", sa.Integer(), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("name_en", sa.String(80), nullable=False),
    sa.Column("name_zh", sa.String(80), nullable=False),
    sa.Column("description_en", sa.String(500), nullable=False),
    sa.Column("description_zh", sa.String(500), nullable=False),
    sa.Column("anchors_en", sa.Text(), nullable=False),
    sa.Column("anchors_zh", sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(["rubric_id"], ["staff_scores_rubric.id"]),
    sa.Index("ix_staff_scores_criterion_rubric_id", "rubric_id"),
)

sa.Table(
    "staff_scores_round", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("title_en", sa.String(120), nullable=False),
    sa.Column("title_zh", sa.String(120), nullable=False),
    sa.Column("rubric_id", sa.Integer(), nullable=False),
    sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("prior_weight", sa.Float(), nullable=False),
    sa.Column("blend_weight", sa.Float(), nullable=False),
    sa.Column("created_by", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("opened_notice", sa.Boolean(), nullable=False),
    sa.Column("closed_notice", sa.Boolean(), nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["rubric_id"], ["staff_scores_rubric.id"]),
    sa.ForeignKeyConstraint(["created_by"], ["core_user.id"]),
    sa.Index("ix_staff_scores_round_rubric_id", "rubric_id"),
)

sa.Table(
    "staff_scores_review", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("round_id", sa.Integer(), nullable=False),
    sa.Column("rater_id", sa.Integer(), nullable=False),
    sa.Column("ratee_id", sa.Integer(), nullable=False),
    sa.Column("comment", sa.String(1000), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("round_id", "rater_id", "ratee_id", name="uq_staff_scores_review"),
    sa.ForeignKeyConstraint(["round_id"], ["staff_scores_round.id"]),
    sa.ForeignKeyConstraint(["rater_id"], ["core_user.id"]),
    sa.ForeignKeyConstraint(["ratee_id"], ["core_user.id"]),
    sa.Index("ix_staff_scores_review_round_id", "round_id"),
)

sa.Table(
    "staff_scores_mark", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("review_id", sa.Integer(), nullable=False),
    sa.Column("criterion_id", sa.Integer(), nullable=False),
    sa.Column("value", sa.Integer(), nullable=False),
    sa.UniqueConstraint("review_id", "criterion_id", name="uq_staff_scores_mark"),
    sa.ForeignKeyConstraint(["review_id"], ["staff_scores_review.id"]),
    sa.ForeignKeyConstraint(["criterion_id"], ["staff_scores_criterion.id"]),
    sa.Index("ix_staff_scores_mark_review_id", "review_id"),
)

TABLES = [table for table in metadata.sorted_tables if table.name.startswith("staff_scores_")]


def upgrade() -> None:
    """Create the plugin's tables."""
    metadata.create_all(op.get_bind(), tables=TABLES, checkfirst=False)


def downgrade() -> None:
    """Drop the plugin's tables."""
    metadata.drop_all(op.get_bind(), tables=TABLES, checkfirst=False)
