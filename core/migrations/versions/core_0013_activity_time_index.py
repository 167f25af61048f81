"""Activities indexed by user and time, so a weekly streak is read from the index alone.

Revision ID: core_0013_activity_time_index
Revises: core_0012_webhooks
Depends on:
Create Date: 2026-12-01 11:05:00.000000

Frozen history: use plain ``sa.`` types and never import the app's models. Alter tables
inside ``with op.batch_alter_table(name) as batch:`` (SQLite copies the table; PostgreSQL
alters it in place). Every pending revision runs in one transaction.

* ``core_activity``: ``ix_core_activity_user_id`` becomes ``ix_core_activity_user_at`` on
  (user_id, created_at). A weekly streak asks which weeks each reader was active in; the index
  answers that without reading each activity's row, and serves every lookup by user as before.
"""

from alembic import op

revision = 'core_0013_activity_time_index'
down_revision = 'core_0012_webhooks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index activities by user and time, instead of by user alone."""
    op.create_index('ix_core_activity_user_at', 'core_activity', ['user_id', 'created_at'])
    op.drop_index('ix_core_activity_user_id', table_name='core_activity')


def downgrade() -> None:
    """Put the index by user alone back."""
    op.create_index('ix_core_activity_user_id', 'core_activity', ['user_id'])
    op.drop_index('ix_core_activity_user_at', table_name='core_activity')
