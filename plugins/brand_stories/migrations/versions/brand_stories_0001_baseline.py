"""The brand_stories plugin's tables when migrations began: the baseline of its branch.

Frozen history: plain SQLAlchemy types, never the plugin's models. ``TABLES`` is what this
revision creates; ``engage db upgrade`` also creates any of them missing from a database made
before migrations.
"""

import sqlalchemy as sa
from alembic import op

revision = "brand_stories_0001_baseline"
down_revision = None
branch_labels = ("brand_stories",)
depends_on = "core_0001_baseline"

metadata = sa.MetaData()
# Core's users, named by the foreign keys below (created by core's baseline, not here).
sa.Table("core_user", metadata, sa.Column("id", sa.Integer(), primary_key=True))

sa.Table(
    "brand_stories_contest", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("title_en", sa.String(120), nullable=False),
    sa.Column("title_zh", sa.String(120), nullable=False),
    sa.Column("brief_en", sa.String(4000), nullable=False),
    sa.Column("brief_zh", sa.String(4000), nullable=False),
    sa.Column("subject", sa.String(20), nullable=False),
    sa.Column("submissions_close_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("voting_opens_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("voting_closes_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("result", sa.String(100000), nullable=True),
    sa.Column("tallied_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_brand_stories_contest_voting_closes_at", "voting_closes_at"),
)

sa.Table(
    "brand_stories_image", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("data", sa.LargeBinary(), nullable=False),
    sa.Column("content_type", sa.String(40), nullable=False),
    sa.Column("width", sa.Integer(), nullable=False),
    sa.Column("height", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

sa.Table(
    "brand_stories_series", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("title_en", sa.String(120), nullable=False),
    sa.Column("title_zh", sa.String(120), nullable=False),
    sa.Column("summary_en", sa.String(2000), nullable=False),
    sa.Column("summary_zh", sa.String(2000), nullable=False),
)

sa.Table(
    "brand_stories_character", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name_en", sa.String(80), nullable=False),
    sa.Column("name_zh", sa.String(80), nullable=False),
    sa.Column("bio_en", sa.String(4000), nullable=False),
    sa.Column("bio_zh", sa.String(4000), nullable=False),
    sa.Column("image_id", sa.Integer(), nullable=True),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["image_id"], ["brand_stories_image.id"]),
)

sa.Table(
    "brand_stories_design", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("contest_id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("title", sa.String(120), nullable=False),
    sa.Column("description", sa.String(4000), nullable=False),
    sa.Column("image_id", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["contest_id"], ["brand_stories_contest.id"]),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.ForeignKeyConstraint(["image_id"], ["brand_stories_image.id"]),
    sa.Index("ix_brand_stories_design_contest_id", "contest_id"),
    sa.Index("ix_brand_stories_design_user_id", "user_id"),
)

sa.Table(
    "brand_stories_episode", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("series_id", sa.Integer(), nullable=False),
    sa.Column("number", sa.Integer(), nullable=False),
    sa.Column("title_en", sa.String(120), nullable=False),
    sa.Column("title_zh", sa.String(120), nullable=False),
    sa.Column("body_en", sa.String(20000), nullable=False),
    sa.Column("body_zh", sa.String(20000), nullable=False),
    sa.Column("image_id", sa.Integer(), nullable=True),
    sa.Column("publish_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["series_id"], ["brand_stories_series.id"]),
    sa.ForeignKeyConstraint(["image_id"], ["brand_stories_image.id"]),
    sa.Index("ix_brand_stories_episode_publish_at", "publish_at"),
    sa.Index("ix_brand_stories_episode_series_id", "series_id"),
)

sa.Table(
    "brand_stories_rank_ballot", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("contest_id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("choices", sa.String(2000), nullable=False),
    sa.Column("code", sa.String(32), nullable=False),
    sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("contest_id", "user_id", name="uq_brand_stories_rank_ballot_voter"),
    sa.ForeignKeyConstraint(["contest_id"], ["brand_stories_contest.id"]),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.UniqueConstraint("code"),
    sa.Index("ix_brand_stories_rank_ballot_contest_id", "contest_id"),
)

sa.Table(
    "brand_stories_rank_ballot_history", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("contest_id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("choices", sa.String(2000), nullable=False),
    sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["contest_id"], ["brand_stories_contest.id"]),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.Index("ix_brand_stories_rank_ballot_history_contest_id", "contest_id"),
)

sa.Table(
    "brand_stories_poll", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("episode_id", sa.Integer(), nullable=False),
    sa.Column("question_en", sa.String(200), nullable=False),
    sa.Column("question_zh", sa.String(200), nullable=False),
    sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("live_counts", sa.Boolean(), nullable=False),
    sa.Column("notified", sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(["episode_id"], ["brand_stories_episode.id"]),
    sa.Index("ix_brand_stories_poll_closes_at", "closes_at"),
    sa.Index("ix_brand_stories_poll_episode_id", "episode_id"),
)

sa.Table(
    "brand_stories_ballot", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("poll_id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("choices", sa.String(2000), nullable=False),
    sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("poll_id", "user_id", name="uq_brand_stories_ballot_voter"),
    sa.ForeignKeyConstraint(["poll_id"], ["brand_stories_poll.id"]),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.Index("ix_brand_stories_ballot_poll_id", "poll_id"),
)

sa.Table(
    "brand_stories_ballot_history", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("poll_id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("choices", sa.String(2000), nullable=False),
    sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["poll_id"], ["brand_stories_poll.id"]),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.Index("ix_brand_stories_ballot_history_poll_id", "poll_id"),
)

sa.Table(
    "brand_stories_option", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("poll_id", sa.Integer(), nullable=False),
    sa.Column("text_en", sa.String(200), nullable=False),
    sa.Column("text_zh", sa.String(200), nullable=False),
    sa.Column("image_id", sa.Integer(), nullable=True),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["poll_id"], ["brand_stories_poll.id"]),
    sa.ForeignKeyConstraint(["image_id"], ["brand_stories_image.id"]),
    sa.Index("ix_brand_stories_option_poll_id", "poll_id"),
)

TABLES = [table for table in metadata.sorted_tables if table.name.startswith("brand_stories_")]


def upgrade() -> None:
    """Create the plugin's tables."""
    metadata.create_all(op.get_bind(), tables=TABLES, checkfirst=False)


def downgrade() -> None:
    """Drop the plugin's tables."""
    metadata.drop_all(op.get_bind(), tables=TABLES, checkfirst=False)
