"""Unmatched events: numbers no reader had when the event came, matched later by a librarian
(to a reader's number) or automatically once a reader with that number exists; then they are
recorded as activities and paid by the active rules like any event."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlmodel import Session

from core.api.awarding import readers_by_number

from .events import record_activities
from .models import InboundEvent
from .paying import EVENT_COLUMNS, pay

CHUNK = 500


def unmatched_numbers(session: Session, *, limit: int = 200) -> list[tuple[str, int, object]]:
    """(number, events, latest occurred_at) for each number no reader has, most events first."""
    table = InboundEvent.__table__
    return session.execute(
        select(table.c.reader_number, func.count(), func.max(table.c.occurred_at))
        .where(table.c.user_id.is_(None), table.c.reader_number.is_not(None))
        .group_by(table.c.reader_number).order_by(func.count().desc(), table.c.reader_number).limit(limit)).all()


def link(session: Session, numbers: dict[str, int], *, actor_id: int | None = None) -> tuple[int, int]:
    """Give the unmatched events of each number (key) to the reader (value); record and pay them.
    Returns (events matched, points paid)."""
    table = InboundEvent.__table__
    events: list[dict] = []
    for number, user_id in sorted(numbers.items(), key=lambda item: item[1]):
        rows = session.execute(update(table).where(table.c.user_id.is_(None), table.c.reader_number == number)
                               .values(user_id=user_id).returning(*[table.c[c] for c in EVENT_COLUMNS]))
        events.extend(dict(zip(EVENT_COLUMNS, row)) for row in rows)
    if not events:
        return 0, 0
    record_activities(session, events)
    paid = pay(session, events, actor_id=actor_id)
    return len(events), sum(paid.values())


def match_known_numbers(session: Session) -> tuple[int, int]:
    """Match every unmatched number that now belongs to a reader (a roster import brought them)."""
    table = InboundEvent.__table__
    numbers = session.execute(select(table.c.reader_number).where(table.c.user_id.is_(None),
                                                                  table.c.reader_number.is_not(None))
                              .distinct()).scalars().all()
    found = readers_by_number(session, set(numbers)) if numbers else {}
    return link(session, found)
