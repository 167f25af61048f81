"""Readers' boards rank readers, four-eyes adjustments, stored Open Badges salts

Revision ID: core_0003_readers_boards_approvals_salts
Revises: core_0002_session_generation
Create Date: 2026-11-30

* ``core_adjustment_request``: large manual adjustments wait for a second librarian.
* ``core_badge_award.salt``: each award's recipient salt is stored; existing awards get the salt
  they were issued with (derived from the secret key before salts were stored), so rotating
  ``SECRET_KEY`` no longer changes badges already handed out.
* Staff leave readers' boards: the off-boards index also covers every non-student, the cohort
  index carries the role, staff get an index of their own, and the rank counts are rebuilt
  from the maintained totals for readers only.

Frozen history: use plain ``sa.`` types and never import the app's models. Alter tables
inside ``with op.batch_alter_table(name) as batch:`` (SQLite copies the table; PostgreSQL
alters it in place). Every pending revision runs in one transaction.
"""

import hashlib
import hmac

import sqlalchemy as sa
from alembic import op

revision = 'core_0003_readers_boards_approvals_salts'
down_revision = 'core_0002_session_generation'
branch_labels = None
depends_on = None

OFF_BOARDS = {"postgresql": "hide_from_boards = true OR is_active = false OR role != 'student'",
              "sqlite": "hide_from_boards = 1 OR is_active = 0 OR role != 'student'"}
OFF_BOARDS_BEFORE = {"postgresql": "hide_from_boards = true OR is_active = false",
                     "sqlite": "hide_from_boards = 1 OR is_active = 0"}
RANK_BLOCK = 64


def _off_boards_index(batch, where: dict) -> None:
    batch.create_index("ix_core_user_off_boards", ["hide_from_boards", "is_active", "id"],
                       postgresql_where=sa.text(where["postgresql"]), sqlite_where=sa.text(where["sqlite"]))


def _legacy_salt(secret_key: str, award_id: int) -> str:
    """The salt an award was issued with before salts were stored (as core.openbadges derived it)."""
    return hmac.new(secret_key.encode(), f"openbadges-salt:{award_id}".encode(), hashlib.sha256).hexdigest()[:16]


def _fill_salts(connection) -> None:
    secret_key = op.get_context().config.attributes.get("secret_key")
    ids = connection.execute(sa.text("SELECT id FROM core_badge_award WHERE salt IS NULL")).scalars().all()
    if ids and not secret_key:
        raise RuntimeError("the secret key is needed to keep existing Open Badges' recipient salts")
    if ids:
        connection.execute(sa.text("UPDATE core_badge_award SET salt = :salt WHERE id = :id"),
                           [{"id": i, "salt": _legacy_salt(secret_key, i)} for i in ids])


def _rebuild_rank_counts(connection, *, readers_only: bool) -> None:
    """How many public users hold each total (level 0) and each block of totals (level 1), per board."""
    public = "u.is_active AND NOT u.hide_from_boards" + (" AND u.role = 'student'" if readers_only else "")
    if connection.dialect.name == "sqlite":
        public = public.replace("u.is_active", "u.is_active = 1").replace("NOT u.hide_from_boards",
                                                                          "u.hide_from_boards = 0")
    connection.execute(sa.text("DELETE FROM core_rank_count"))
    for level, value in ((0, "t.total"), (1, f"t.total / {RANK_BLOCK}")):
        connection.execute(sa.text(
            "INSERT INTO core_rank_count (period, period_key, level, total, users) "
            f"SELECT 'all', '', {level}, {value}, count(*) FROM core_point_total t "
            f"JOIN core_user u ON u.id = t.user_id WHERE t.total > 0 AND {public} GROUP BY {value}"))
        connection.execute(sa.text(
            "INSERT INTO core_rank_count (period, period_key, level, total, users) "
            f"SELECT t.period, t.period_key, {level}, {value}, count(*) FROM core_period_total t "
            f"JOIN core_user u ON u.id = t.user_id WHERE t.total > 0 AND {public} "
            f"GROUP BY t.period, t.period_key, {value}"))


def upgrade() -> None:
    """Approvals table, stored salts (filled), readers-only indexes and rank counts."""
    op.create_table('core_adjustment_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=True),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], ),
    sa.ForeignKeyConstraint(['requested_by'], ['core_user.id'], ),
    sa.UniqueConstraint('nonce'),
    sa.ForeignKeyConstraint(['decided_by'], ['core_user.id'], ),
    )
    with op.batch_alter_table('core_adjustment_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_adjustment_request_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_adjustment_request_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('core_badge_award', schema=None) as batch_op:
        batch_op.add_column(sa.Column('salt', sa.String(length=32), nullable=True))
    _fill_salts(op.get_bind())

    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.drop_index('ix_core_user_cohort_public')
        batch_op.create_index('ix_core_user_cohort_public', ['cohort', 'hide_from_boards', 'is_active', 'role'], unique=False)
        batch_op.drop_index('ix_core_user_off_boards')
        _off_boards_index(batch_op, OFF_BOARDS)
        batch_op.create_index('ix_core_user_staff', ['role', 'id'], unique=False, sqlite_where=sa.text("role != 'student'"), postgresql_where=sa.text("role != 'student'"))
    _rebuild_rank_counts(op.get_bind(), readers_only=True)


def downgrade() -> None:
    """Back to boards of every public user, salts derived again, no approvals."""
    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.drop_index('ix_core_user_staff', sqlite_where=sa.text("role != 'student'"), postgresql_where=sa.text("role != 'student'"))
        batch_op.drop_index('ix_core_user_off_boards')
        _off_boards_index(batch_op, OFF_BOARDS_BEFORE)
        batch_op.drop_index('ix_core_user_cohort_public')
        batch_op.create_index('ix_core_user_cohort_public', ['cohort', 'hide_from_boards', 'is_active'], unique=False)
    _rebuild_rank_counts(op.get_bind(), readers_only=False)

    with op.batch_alter_table('core_badge_award', schema=None) as batch_op:
        batch_op.drop_column('salt')

    with op.batch_alter_table('core_adjustment_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_adjustment_request_user_id'))
        batch_op.drop_index(batch_op.f('ix_core_adjustment_request_status'))

    op.drop_table('core_adjustment_request')
