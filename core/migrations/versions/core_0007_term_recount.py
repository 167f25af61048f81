"""Term recounts: saving term dates recounts term totals by itself, in chunks a page follows.

Revision ID: core_0007_term_recount
Revises: core_0006_mail
Depends on:
Create Date: 2026-11-30 10:09:11.637033

Frozen history: use plain ``sa.`` types and never import the app's models. Alter tables
inside ``with op.batch_alter_table(name) as batch:`` (SQLite copies the table; PostgreSQL
alters it in place). Every pending revision runs in one transaction.
"""

import sqlalchemy as sa
from alembic import op

revision = 'core_0007_term_recount'
down_revision = 'core_0006_mail'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add core_term_recount."""
    op.create_table('core_term_recount',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('next_user_id', sa.Integer(), nullable=False),
    sa.Column('users_done', sa.Integer(), nullable=False),
    sa.Column('users_total', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['core_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    """Drop core_term_recount."""
    op.drop_table('core_term_recount')
