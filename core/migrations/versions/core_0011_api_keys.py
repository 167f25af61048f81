"""API keys: core_api_key (hashed tokens, scopes, caps, rate limits) and core_api_key_day (points paid per key per day).

Revision ID: core_0011_api_keys
Revises: core_0010_identity_providers
Depends on:
Create Date: 2026-11-30 14:20:00.000000

Frozen history: use plain ``sa.`` types and never import the app's models. Alter tables
inside ``with op.batch_alter_table(name) as batch:`` (SQLite copies the table; PostgreSQL
alters it in place). Every pending revision runs in one transaction.
"""

import sqlalchemy as sa
from alembic import op

revision = 'core_0011_api_keys'
down_revision = 'core_0010_identity_providers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add core_api_key and core_api_key_day."""
    op.create_table('core_api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.String(length=1000), nullable=False),
    sa.Column('daily_points_cap', sa.Integer(), nullable=True),
    sa.Column('rate_limit', sa.String(length=60), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('prefix'),
    sa.ForeignKeyConstraint(['created_by'], ['core_user.id'], )
    )
    op.create_table('core_api_key_day',
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key_id', 'day'),
    sa.ForeignKeyConstraint(['key_id'], ['core_api_key.id'], )
    )


def downgrade() -> None:
    """Drop core_api_key_day and core_api_key."""
    op.drop_table('core_api_key_day')
    op.drop_table('core_api_key')
