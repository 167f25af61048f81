"""Board versions that follow commits

Revision ID: core_0004_board_versions
Revises: core_0003_readers_boards_approvals_salts
Create Date: 2026-11-30

* ``core_board_version``: a few counter slots; every transaction that pays points adds one to a
  slot as it commits, and screens put the slots' sum in their ETags instead of the ledger's
  highest id (on PostgreSQL a lower id can commit after a higher one).

Frozen history: use plain ``sa.`` types and never import the app's models. Alter tables
inside ``with op.batch_alter_table(name) as batch:`` (SQLite copies the table; PostgreSQL
alters it in place). Every pending revision runs in one transaction.
"""

import sqlalchemy as sa
from alembic import op

revision = 'core_0004_board_versions'
down_revision = 'core_0003_readers_boards_approvals_salts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'core_board_version',
        sa.Column('slot', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('value', sa.BigInteger(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('slot'),
    )


def downgrade() -> None:
    op.drop_table('core_board_version')
