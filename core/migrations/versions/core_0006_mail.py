"""Email: the outbox, readers' preferences and digest cursors

Revision ID: core_0006_mail
Revises: core_0005_job_failures
Create Date: 2026-11-30

* ``core_mail_outbox``: messages waiting to be sent, queued in the transaction of the
  notification that caused them and drained by ``core.mail.deliver_pending``.
* ``core_mail_preference``: how often a reader wants each kind of news by email (no row: the
  kind's default).
* ``core_mail_digest``: the last notification each reader's daily or weekly digest covered.

Frozen history: use plain ``sa.`` types and never import the app's models. Alter tables
inside ``with op.batch_alter_table(name) as batch:`` (SQLite copies the table; PostgreSQL
alters it in place). Every pending revision runs in one transaction.
"""

import sqlalchemy as sa
from alembic import op

revision = 'core_0006_mail'
down_revision = 'core_0005_job_failures'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the outbox, preference and digest tables."""
    op.create_table('core_mail_digest',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('cadence', sa.String(length=10), nullable=False),
    sa.Column('last_notification_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], ),
    sa.PrimaryKeyConstraint('user_id', 'cadence')
    )
    op.create_table('core_mail_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=100), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sa.String(length=254), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('text_body', sa.Text(), nullable=True),
    sa.Column('html_body', sa.Text(), nullable=True),
    sa.Column('headers', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('core_mail_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_core_mail_outbox_due', ['status', 'due_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_mail_outbox_user_id'), ['user_id'], unique=False)

    op.create_table('core_mail_preference',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=100), nullable=False),
    sa.Column('cadence', sa.String(length=10), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], ),
    sa.PrimaryKeyConstraint('user_id', 'kind')
    )


def downgrade() -> None:
    """Drop the email tables (queued messages and readers' choices go with them)."""
    op.drop_table('core_mail_preference')
    with op.batch_alter_table('core_mail_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_mail_outbox_user_id'))
        batch_op.drop_index('ix_core_mail_outbox_due')

    op.drop_table('core_mail_outbox')
    op.drop_table('core_mail_digest')
