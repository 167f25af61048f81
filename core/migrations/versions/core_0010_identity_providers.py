"""Sign-in providers: identity links and each provider's settings and attribute mapping.

Revision ID: core_0010_identity_providers
Revises: core_0009_account_lifecycle
Create Date: 2026-11-30 13:20:00

Frozen history: use plain ``sa.`` types and never import the app's models. Alter tables
inside ``with op.batch_alter_table(name) as batch:`` (SQLite copies the table; PostgreSQL
alters it in place). Every pending revision runs in one transaction.
"""

import sqlalchemy as sa
from alembic import op

revision = 'core_0010_identity_providers'
down_revision = 'core_0009_account_lifecycle'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add core_identity_link and core_identity_provider."""
    op.create_table('core_identity_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_sign_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider', 'subject', name='uq_core_identity_link_provider_subject'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], )
    )
    op.create_index('ix_core_identity_link_user_id', 'core_identity_link', ['user_id'], unique=False)
    op.create_table('core_identity_provider',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('settings', sa.Text(), nullable=False),
    sa.Column('mapping', sa.Text(), nullable=False),
    sa.Column('secret', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    """Drop core_identity_provider and core_identity_link."""
    op.drop_table('core_identity_provider')
    op.drop_index('ix_core_identity_link_user_id', table_name='core_identity_link')
    op.drop_table('core_identity_link')
