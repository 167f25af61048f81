"""The ledger keeps one index by user: (user_id, rule, created_at) serves every lookup by user.

Revision ID: core_0014_ledger_one_user_index
Revises: core_0013_activity_time_index
Depends on:
Create Date: 2026-12-01 22:00:00.000000

Frozen history: use plain ``sa.`` types and never import the app's models. Alter tables
inside ``with op.batch_alter_table(name) as batch:`` (SQLite copies the table; PostgreSQL
alters it in place). Every pending revision runs in one transaction.

* ``core_point_entry``: ``ix_core_point_entry_user_id`` is dropped. Every query that finds a
  reader's entries, and the foreign key, are served by ``ix_core_point_entry_user_rule_at``,
  which leads with the user. Entries of many readers written together (a batch of inbound
  events) each changed a page of both indexes at a random place: about 150 of the 2,000 pages
  such a batch writes.
"""

from alembic import op

revision = 'core_0014_ledger_one_user_index'
down_revision = 'core_0013_activity_time_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Drop the index by user alone."""
    op.drop_index('ix_core_point_entry_user_id', table_name='core_point_entry')


def downgrade() -> None:
    """Put the index by user alone back."""
    op.create_index('ix_core_point_entry_user_id', 'core_point_entry', ['user_id'])
