"""Previews find a type's recent events by when they arrived, not by when they happened.

The index of (type, occurred_at) took each new event at a random place (a batch's events happened
over days or weeks), so every batch wrote to hundreds of its pages. An event is refused when it
happened more than five minutes after it arrives, so the events that happened since a moment all
arrived since five minutes before it: (type, received_at) finds them, and new events go at its end.

Frozen history: plain SQLAlchemy, never the plugin's models.
"""

from alembic import op

revision = "inbound_0004_kind_received_index"
down_revision = "inbound_0003_caps_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Replace the (type, occurred_at) index with (type, received_at)."""
    op.create_index("ix_inbound_event_kind_received", "inbound_event", ["kind", "received_at"])
    op.drop_index("ix_inbound_event_kind_occurred", table_name="inbound_event")


def downgrade() -> None:
    """Index events by (type, occurred_at) again."""
    op.create_index("ix_inbound_event_kind_occurred", "inbound_event", ["kind", "occurred_at"])
    op.drop_index("ix_inbound_event_kind_received", table_name="inbound_event")
