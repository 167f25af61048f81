"""The badgemaker plugin's tables: made badges, their requirements, and the first grant's progress.

Frozen history: plain SQLAlchemy types, never the plugin's models.
"""

import sqlalchemy as sa
from alembic import op


revision = "badgemaker_0001_baseline"
down_revision = None
branch_labels = ("badgemaker",)
depends_on = "core_0001_baseline"

metadata = sa.MetaData()
# Core's users, named by the foreign keys below (created by core's baseline, not here).
sa.Table("core_user", metadata, sa.Column("id", sa.Integer(), primary_key=True))

sa.Table(
    "badgemaker_badge", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("key", sa.String(80), nullable=False),
    sa.Column("name_en", sa.String(80), nullable=False),
    sa.Column("name_zh", sa.String(80), nullable=False),
    sa.Column("how_en", sa.String(500), nullable=False),
    sa.Column("how_zh", sa.String(500), nullable=False),
    sa.Column("term_key", sa.String(24), nullable=True),
    sa.Column("hours_from", sa.Integer(), nullable=True),
    sa.Column("hours_to", sa.Integer(), nullable=True),
    sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("retired_by", sa.Integer(), nullable=True),
    sa.Column("created_by", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("key"),
    sa.UniqueConstraint("name_en"),
    sa.UniqueConstraint("name_zh"),
    sa.ForeignKeyConstraint(["retired_by"], ["core_user.id"]),
    sa.ForeignKeyConstraint(["created_by"], ["core_user.id"]),
)

sa.Table(
    "badgemaker_requirement", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("badge_id", sa.Integer(), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("criterion", sa.String(80), nullable=False),
    sa.Column("option", sa.String(120), nullable=False),
    sa.Column("goal", sa.Integer(), nullable=False),
    sa.UniqueConstraint("badge_id", "criterion", "option"),
    sa.ForeignKeyConstraint(["badge_id"], ["badgemaker_badge.id"]),
    sa.Index("ix_badgemaker_requirement_badge_id", "badge_id"),
)

sa.Table(
    "badgemaker_backfill", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("badge_id", sa.Integer(), nullable=False),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("readers_total", sa.Integer(), nullable=False),
    sa.Column("readers_done", sa.Integer(), nullable=False),
    sa.Column("granted", sa.Integer(), nullable=False),
    sa.Column("settled", sa.Boolean(), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("badge_id"),
    sa.ForeignKeyConstraint(["badge_id"], ["badgemaker_badge.id"]),
    sa.Index("ix_badgemaker_backfill_state", "state"),
)

TABLES = [table for table in metadata.sorted_tables if table.name.startswith("badgemaker_")]


def upgrade() -> None:
    """Create the plugin's tables."""
    metadata.create_all(op.get_bind(), tables=TABLES, checkfirst=False)


def downgrade() -> None:
    """Drop the plugin's tables."""
    metadata.drop_all(op.get_bind(), tables=TABLES, checkfirst=False)
