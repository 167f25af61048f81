"""Sessions end: a per-user session generation

Revision ID: core_0002_session_generation
Revises: core_0001_baseline
Depends on: 
Create Date: 2026-11-30 08:13:50.614313

Frozen history: use plain ``sa.`` types and never import the app's models. Alter tables
inside ``with op.batch_alter_table(name) as batch:`` (SQLite copies the table; PostgreSQL
alters it in place). Every pending revision runs in one transaction.
"""

import sqlalchemy as sa
from alembic import op

revision = 'core_0002_session_generation'
down_revision = 'core_0001_baseline'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Sessions end: a per-user session generation, bumped to sign a user out everywhere."""
    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    """Drop the session generation."""
    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
