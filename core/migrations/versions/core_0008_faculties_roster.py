"""Faculties as a managed list, and roster imports

Revision ID: core_0008_faculties_roster
Revises: core_0007_term_recount
Create Date: 2026-11-30

* ``core_faculty``: the faculties and colleges readers choose from (code, names in English and
  Chinese, offered or not, position in lists). A reader's faculty stays in ``core_user.cohort``,
  now holding a faculty's code.
* Every faculty readers typed as free text before becomes a faculty whose code and names are that
  text, so no reader loses theirs and every board by faculty keeps its address.
* ``core_roster_import``: a checked roster or faculties table, waiting to be applied by the job
  queue, and what applying it did.

Frozen history: use plain ``sa.`` types and never import the app's models. Alter tables
inside ``with op.batch_alter_table(name) as batch:`` (SQLite copies the table; PostgreSQL
alters it in place). Every pending revision runs in one transaction.
"""

import sqlalchemy as sa
from alembic import op

revision = 'core_0008_faculties_roster'
down_revision = 'core_0007_term_recount'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the faculty and import tables; adopt the free-text faculties already in use."""
    faculty = op.create_table('core_faculty',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('order', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('core_roster_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('plan', sa.Text(), nullable=False),
    sa.Column('error', sa.String(length=1000), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['core_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('core_roster_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_roster_import_state'), ['state'], unique=False)
    users = sa.table('core_user', sa.column('cohort', sa.String))
    cohorts = op.get_bind().execute(sa.select(users.c.cohort).where(users.c.cohort.is_not(None)).distinct())
    rows = [{'code': value, 'name_en': value[:120], 'name_zh': value[:120], 'active': True, 'order': 1000}
            for value in sorted(r[0] for r in cohorts)]
    if rows:
        op.bulk_insert(faculty, rows)


def downgrade() -> None:
    """Drop the import and faculty tables (readers keep their faculty's code as free text)."""
    with op.batch_alter_table('core_roster_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_roster_import_state'))
    op.drop_table('core_roster_import')
    op.drop_table('core_faculty')
