"""The CAS sign-in plugin's table: service tickets of sessions, for single logout; the baseline of
its branch.

Frozen history: plain SQLAlchemy types, never the plugin's models. ``TABLES`` is what this
revision creates; ``engage db upgrade`` also creates any of them missing from a database made
before migrations.
"""

import sqlalchemy as sa
from alembic import op

revision = "signin_cas_0001_baseline"
down_revision = None
branch_labels = ("signin_cas",)
depends_on = "core_0001_baseline"

metadata = sa.MetaData()
# Core's users, named by the foreign key below (created by core's baseline, not here).
sa.Table("core_user", metadata, sa.Column("id", sa.Integer(), primary_key=True))

sa.Table(
    "signin_cas_session", metadata,
    sa.Column("ticket_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer(), sa.ForeignKey("core_user.id"), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_signin_cas_session_user_id", "user_id"),
)

TABLES = [metadata.tables["signin_cas_session"]]


def upgrade() -> None:
    """Create the plugin's table."""
    metadata.create_all(op.get_bind(), tables=TABLES, checkfirst=False)


def downgrade() -> None:
    """Drop the plugin's table."""
    metadata.drop_all(op.get_bind(), tables=TABLES, checkfirst=False)
