"""Accounts: confirmed and pending addresses, last sign-in, anonymised accounts, and run-time settings.

Revision ID: core_0009_account_lifecycle
Revises: core_0008_faculties_roster
Depends on:
Create Date: 2026-11-30 13:10:00.000000

Frozen history: use plain ``sa.`` types and never import the app's models. Alter tables
inside ``with op.batch_alter_table(name) as batch:`` (SQLite copies the table; PostgreSQL
alters it in place). Every pending revision runs in one transaction.
"""

import sqlalchemy as sa
from alembic import op

revision = 'core_0009_account_lifecycle'
down_revision = 'core_0008_faculties_roster'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add core_user's account columns and core_setting. Existing addresses start unconfirmed."""
    with op.batch_alter_table('core_user') as batch:
        batch.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('pending_email', sa.String(length=254), nullable=True))
        batch.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('core_setting',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    """Drop core_setting and core_user's account columns."""
    op.drop_table('core_setting')
    with op.batch_alter_table('core_user') as batch:
        batch.drop_column('anonymised_at')
        batch.drop_column('last_seen_at')
        batch.drop_column('pending_email')
        batch.drop_column('email_verified_at')
