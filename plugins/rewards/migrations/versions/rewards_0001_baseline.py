"""The rewards plugin's tables: perks, wallets and the spending ledger, claims, vouchers and prize draws.

Frozen history: plain SQLAlchemy types, never the plugin's models. ``TABLES`` is what this
revision creates.
"""

import sqlalchemy as sa
from alembic import op

revision = "rewards_0001_baseline"
down_revision = None
branch_labels = ("rewards",)
depends_on = "core_0001_baseline"

metadata = sa.MetaData()
# Core's users, named by the foreign keys below (created by core's baseline, not here).
sa.Table("core_user", metadata, sa.Column("id", sa.Integer(), primary_key=True))

sa.Table(
    "rewards_perk", metadata,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("name_en", sa.String(80), nullable=False),
    sa.Column("name_zh", sa.String(80), nullable=False),
    sa.Column("description_en", sa.Text(), nullable=False),
    sa.Column("description_zh", sa.Text(), nullable=False),
    sa.Column("cost", sa.Integer(), nullable=False),
    sa.Column("stock", sa.Integer(), nullable=True),
    sa.Column("redeemed", sa.Integer(), nullable=False),
    sa.Column("per_reader", sa.Integer(), nullable=True),
    sa.Column("audience", sa.String(80), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("image", sa.LargeBinary(), nullable=True),
    sa.Column("image_type", sa.String(40), nullable=True),
    sa.Column("image_sha", sa.String(64), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

sa.Table(
    "rewards_claim", metadata,
    sa.Column("perk_id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("user_id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("count", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["perk_id"], ["rewards_perk.id"]),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
)

sa.Table(
    "rewards_draw", metadata,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("title_en", sa.String(120), nullable=False),
    sa.Column("title_zh", sa.String(120), nullable=False),
    sa.Column("prize_en", sa.String(200), nullable=False),
    sa.Column("prize_zh", sa.String(200), nullable=False),
    sa.Column("winners", sa.Integer(), nullable=False),
    sa.Column("ticket_cost", sa.Integer(), nullable=False),
    sa.Column("max_bought", sa.Integer(), nullable=False),
    sa.Column("earn_per_activity", sa.Boolean(), nullable=False),
    sa.Column("max_earned", sa.Integer(), nullable=False),
    sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("draw_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("seed", sa.String(64), nullable=False),
    sa.Column("seed_hash", sa.String(64), nullable=False),
    sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_by", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["created_by"], ["core_user.id"]),
)

sa.Table(
    "rewards_spend", metadata,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=True),
    sa.Column("amount", sa.Integer(), nullable=False),
    sa.Column("what", sa.String(16), nullable=False),
    sa.Column("source_ref", sa.String(80), nullable=False),
    sa.Column("reverses_id", sa.Integer(), nullable=True),
    sa.Column("idempotency_key", sa.String(120), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.ForeignKeyConstraint(["reverses_id"], ["rewards_spend.id"]),
    sa.UniqueConstraint("idempotency_key"),
    sa.Index("ix_rewards_spend_user_id", "user_id"),
)

sa.Table(
    "rewards_wallet", metadata,
    sa.Column("user_id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("spent", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
)

sa.Table(
    "rewards_ticket", metadata,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("draw_id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=True),
    sa.Column("source", sa.String(8), nullable=False),
    sa.Column("holder", sa.Integer(), nullable=True),
    sa.Column("idempotency_key", sa.String(120), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["draw_id"], ["rewards_draw.id"]),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.UniqueConstraint("idempotency_key"),
    sa.Index("ix_rewards_ticket_draw_id", "draw_id"),
    sa.Index("ix_rewards_ticket_user_id", "user_id"),
)

sa.Table(
    "rewards_voucher", metadata,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("code", sa.String(16), nullable=False),
    sa.Column("perk_id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=True),
    sa.Column("cost", sa.Integer(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("spend_id", sa.Integer(), nullable=False),
    sa.Column("handled_by", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("code"),
    sa.ForeignKeyConstraint(["perk_id"], ["rewards_perk.id"]),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.UniqueConstraint("spend_id"),
    sa.ForeignKeyConstraint(["spend_id"], ["rewards_spend.id"]),
    sa.ForeignKeyConstraint(["handled_by"], ["core_user.id"]),
    sa.Index("ix_rewards_voucher_perk_id", "perk_id"),
    sa.Index("ix_rewards_voucher_state", "state"),
    sa.Index("ix_rewards_voucher_user_id", "user_id"),
)

sa.Table(
    "rewards_winner", metadata,
    sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
    sa.Column("draw_id", sa.Integer(), nullable=False),
    sa.Column("ticket_id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=True),
    sa.Column("place", sa.Integer(), nullable=False),
    sa.UniqueConstraint("draw_id", "place"),
    sa.ForeignKeyConstraint(["draw_id"], ["rewards_draw.id"]),
    sa.UniqueConstraint("ticket_id"),
    sa.ForeignKeyConstraint(["ticket_id"], ["rewards_ticket.id"]),
    sa.ForeignKeyConstraint(["user_id"], ["core_user.id"]),
    sa.Index("ix_rewards_winner_draw_id", "draw_id"),
    sa.Index("ix_rewards_winner_user_id", "user_id"),
)

TABLES = [table for table in metadata.sorted_tables if table.name.startswith("rewards_")]


def upgrade() -> None:
    """Create the plugin's tables."""
    metadata.create_all(op.get_bind(), tables=TABLES, checkfirst=False)


def downgrade() -> None:
    """Drop the plugin's tables."""
    metadata.drop_all(op.get_bind(), tables=TABLES, checkfirst=False)
