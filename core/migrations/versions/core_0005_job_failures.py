"""Failed background jobs

Revision ID: core_0005_job_failures
Revises: core_0004_board_versions
Create Date: 2026-11-30

* ``core_job_failure``: every failed run of a background job (``core.jobs``), listed on the
  administration page and reported by ``engage check`` until an administrator clears it.

Frozen history: use plain ``sa.`` types and never import the app's models.
"""

import sqlalchemy as sa
from alembic import op

revision = 'core_0005_job_failures'
down_revision = 'core_0004_board_versions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The failed-jobs table."""
    op.create_table(
        'core_job_failure',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('task', sa.String(200), nullable=False),
        sa.Column('task_id', sa.String(64), nullable=False),
        sa.Column('retries_left', sa.Integer(), nullable=False),
        sa.Column('final', sa.Boolean(), nullable=False),
        sa.Column('error', sa.String(2000), nullable=False),
        sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_core_job_failure_task', 'core_job_failure', ['task'])
    op.create_index('ix_core_job_failure_failed_at', 'core_job_failure', ['failed_at'])


def downgrade() -> None:
    """Drop the failed-jobs table."""
    op.drop_index('ix_core_job_failure_failed_at', table_name='core_job_failure')
    op.drop_index('ix_core_job_failure_task', table_name='core_job_failure')
    op.drop_table('core_job_failure')
