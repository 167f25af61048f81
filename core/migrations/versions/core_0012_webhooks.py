"""Webhooks out: subscribed endpoints, the deliveries' outbox and log, and each attempt

Revision ID: core_0012_webhooks
Revises: core_0011_api_keys
Depends on:
Create Date: 2026-11-30 14:19:09.951185

Frozen history: use plain ``sa.`` types and never import the app's models. Alter tables
inside ``with op.batch_alter_table(name) as batch:`` (SQLite copies the table; PostgreSQL
alters it in place). Every pending revision runs in one transaction.

* ``core_webhook_endpoint``: a URL an administrator subscribed to event types, with its secret.
* ``core_webhook_delivery``: one event for one endpoint, written in the event's transaction and
  sent by ``core.webhooks.deliver_pending``; also the delivery log.
* ``core_webhook_attempt``: each try at sending a delivery (status code, error, time taken).
"""

import sqlalchemy as sa
from alembic import op

revision = 'core_0012_webhooks'
down_revision = 'core_0011_api_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the endpoint, delivery and attempt tables."""
    op.create_table('core_webhook_endpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('event_types', sa.Text(), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['core_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('core_webhook_delivery',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('response_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['endpoint_id'], ['core_webhook_endpoint.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id')
    )
    with op.batch_alter_table('core_webhook_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_core_webhook_delivery_due', ['status', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_core_webhook_delivery_endpoint', ['endpoint_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_webhook_delivery_user_id'), ['user_id'], unique=False)

    op.create_table('core_webhook_attempt',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('delivery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('response_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('milliseconds', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['core_webhook_delivery.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('core_webhook_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_webhook_attempt_delivery_id'), ['delivery_id'], unique=False)



def downgrade() -> None:
    """Drop the webhook tables."""
    with op.batch_alter_table('core_webhook_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_webhook_attempt_delivery_id'))

    op.drop_table('core_webhook_attempt')
    with op.batch_alter_table('core_webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_webhook_delivery_user_id'))
        batch_op.drop_index('ix_core_webhook_delivery_endpoint')
        batch_op.drop_index('ix_core_webhook_delivery_due')

    op.drop_table('core_webhook_delivery')
    op.drop_table('core_webhook_endpoint')
