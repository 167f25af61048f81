"""Core's tables when migrations began: the baseline of branch ``core``.

Frozen history: plain SQLAlchemy types, never the app's models. ``TABLES`` is what this revision
creates; ``engage db upgrade`` also adopts a database made before migrations from it (creating
what an older release lacked; ``ADOPT_DEFAULTS`` fills NOT NULL columns added since, and the
``REBUILT_FROM_LEDGER`` tables are recomputed when they were missing or malformed).
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0001_baseline"
down_revision = None
branch_labels = ("core",)
depends_on = None

metadata = sa.MetaData()

sa.Table(
    "core_badge_image", metadata,
    sa.Column("badge_key", sa.String(80), primary_key=True),
    sa.Column("data", sa.LargeBinary(), nullable=False),
    sa.Column("content_type", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

sa.Table(
    "core_counter", metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("value", sa.Integer(), nullable=False),
)

sa.Table(
    "core_level", metadata,
    sa.Column("number", sa.Integer(), primary_key=True),
    sa.Column("threshold", sa.Integer(), nullable=False),
    sa.Column("name_en", sa.String(60), nullable=False),
    sa.Column("name_zh", sa.String(60), nullable=False),
    sa.UniqueConstraint("threshold"),
)

sa.Table(
    "core_plugin_state", metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
)

sa.Table(
    "core_rank_count", metadata,
    sa.Column("period", sa.String(8), primary_key=True),
    sa.Column("period_key", sa.String(24), primary_key=True),
    sa.Column("level", sa.Integer(), primary_key=True),
    sa.Column("total", sa.Integer(), primary_key=True),
    sa.Column("users", sa.Integer(), nullable=False),
    sqlite_with_rowid=False,
)

sa.Table(
    "core_term", metadata,
    sa.Column("key", sa.String(24), primary_key=True),
    sa.Column("name_en", sa.String(80), nullable=False),
    sa.Column("name_zh", sa.String(80), nullable=False),
    sa.Column("starts_on", sa.Date(), nullable=False),
    sa.Column("ends_on", sa.Date(), nullable=False),
)

sa.Table(
    "core_user", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("display_name", sa.String(60), nullable=False),
    sa.Column("member_number", sa.String(32), nullable=True),
    sa.Column("cohort", sa.String(80), nullable=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("locale", sa.String(10), nullable=True),
    sa.Column("hide_from_boards", sa.Boolean(), nullable=False),
    sa.Column("public_profile", sa.Boolean(), nullable=False),
    sa.Column("is_active", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("member_number"),
    sa.Index("ix_core_user_cohort", "cohort"),
    sa.Index("ix_core_user_cohort_public", "cohort", "hide_from_boards", "is_active"),
    sa.Index("ix_core_user_email", "email", unique=True),
    sa.Index("ix_core_user_off_boards", "hide_from_boards", "is_active", "id",
             postgresql_where=sa.text("hide_from_boards = true OR is_active = false"),
             sqlite_where=sa.text("hide_from_boards = 1 OR is_active = 0")),
)

sa.Table(
    "core_activity", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("plugin", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(60), nullable=False),
    sa.Column("source_ref", sa.String(120), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("plugin", "kind", "source_ref", "user_id"),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.Index("ix_core_activity_user_id", "user_id"),
)

sa.Table(
    "core_audit", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("actor_id", sa.Integer(), nullable=True),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("target", sa.String(120), nullable=False),
    sa.Column("detail", sa.String(1000), nullable=False),
    sa.Column("reason", sa.String(500), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["actor_id"], ["core_user.id"]),
    sa.Index("ix_core_audit_action", "action"),
    sa.Index("ix_core_audit_created_at", "created_at"),
)

sa.Table(
    "core_badge_award", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("badge_key", sa.String(80), nullable=False),
    sa.Column("sole_key", sa.String(80), nullable=True),
    sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.String(500), nullable=True),
    sa.Column("actor_id", sa.Integer(), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoke_reason", sa.String(500), nullable=True),
    sa.UniqueConstraint("user_id", "badge_key"),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.UniqueConstraint("sole_key"),
    sa.ForeignKeyConstraint(["actor_id"], ["core_user.id"]),
    sa.Index("ix_core_badge_award_key", "badge_key"),
)

sa.Table(
    "core_notification", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("plugin", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(60), nullable=False),
    sa.Column("text_en", sa.String(500), nullable=False),
    sa.Column("text_zh", sa.String(500), nullable=False),
    sa.Column("url", sa.String(300), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.Index("ix_core_notification_inbox", "user_id", "read_at", "id"),
)

sa.Table(
    "core_pending_reward", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("amount", sa.Integer(), nullable=False),
    sa.Column("rule", sa.String(80), nullable=False),
    sa.Column("plugin", sa.String(40), nullable=False),
    sa.Column("idempotency_key", sa.String(200), nullable=False),
    sa.Column("source_ref", sa.String(120), nullable=True),
    sa.Column("activity", sa.String(60), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.String(500), nullable=True),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.UniqueConstraint("idempotency_key"),
    sa.Index("ix_core_pending_reward_created_at", "created_at"),
)

sa.Table(
    "core_period_total", metadata,
    sa.Column("user_id", sa.Integer(), primary_key=True),
    sa.Column("period", sa.String(8), primary_key=True),
    sa.Column("period_key", sa.String(24), primary_key=True),
    sa.Column("total", sa.Integer(), nullable=False),
    sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.Index("ix_core_period_total_rank", "period", "period_key", "total", "reached_at"),
)

sa.Table(
    "core_point_entry", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("amount", sa.Integer(), nullable=False),
    sa.Column("rule", sa.String(80), nullable=False),
    sa.Column("plugin", sa.String(40), nullable=False),
    sa.Column("source_ref", sa.String(120), nullable=True),
    sa.Column("actor_id", sa.Integer(), nullable=True),
    sa.Column("reason", sa.String(500), nullable=True),
    sa.Column("reverses_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
    sa.Column("idempotency_key", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.ForeignKeyConstraint(["actor_id"], ["core_user.id"]),
    sa.UniqueConstraint("idempotency_key"),
    sa.Index("ix_core_point_entry_user_id", "user_id"),
    sa.Index("ix_core_point_entry_user_rule_at", "user_id", "rule", "created_at"),
)

sa.Table(
    "core_point_total", metadata,
    sa.Column("user_id", sa.Integer(), primary_key=True),
    sa.Column("total", sa.Integer(), nullable=False),
    sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.Index("ix_core_point_total_rank", "total", "reached_at"),
)

sa.Table(
    "core_screen", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("locale", sa.String(10), nullable=False),
    sa.Column("seconds_per_slide", sa.Integer(), nullable=False),
    sa.Column("slides", sa.String(4000), nullable=False),
    sa.Column("token_version", sa.Integer(), nullable=False),
    sa.Column("created_by", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["created_by"], ["core_user.id"]),
)

TABLES = metadata.sorted_tables
ADOPT_DEFAULTS = {"core_user.public_profile": sa.false()}
REBUILT_FROM_LEDGER = ("core_point_total", "core_period_total", "core_rank_count")


def upgrade() -> None:
    """Create core's tables."""
    metadata.create_all(op.get_bind(), tables=TABLES, checkfirst=False)


def downgrade() -> None:
    """Drop core's tables (every plugin's branch is undone first: they depend on this one)."""
    metadata.drop_all(op.get_bind(), tables=TABLES, checkfirst=False)
