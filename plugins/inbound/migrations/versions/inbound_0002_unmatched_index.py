"""Reader numbers indexed for unmatched events only.

Every lookup by number (the librarian's list of numbers to match, matching one, forgetting a
reader) is of events no reader was found for; those are a few in a hundred. Indexing only them
leaves a matched event's insert with one index fewer to write, and each page of an index keyed by
reader takes a write of its own when a batch pays many readers.

Frozen history: plain SQLAlchemy, never the plugin's models.
"""

import sqlalchemy as sa
from alembic import op

revision = "inbound_0002_unmatched_index"
down_revision = "inbound_0001_baseline"
branch_labels = None
depends_on = None

UNMATCHED = sa.text("user_id IS NULL")


def upgrade() -> None:
    """Replace the index of every event's number with one of unmatched events' numbers."""
    op.create_index("ix_inbound_event_unmatched", "inbound_event", ["reader_number"],
                    sqlite_where=UNMATCHED, postgresql_where=UNMATCHED)
    op.drop_index("ix_inbound_event_number", table_name="inbound_event")


def downgrade() -> None:
    """Index every event's number again."""
    op.create_index("ix_inbound_event_number", "inbound_event", ["reader_number"])
    op.drop_index("ix_inbound_event_unmatched", table_name="inbound_event")
