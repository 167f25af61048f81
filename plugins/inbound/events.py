"""Taking events in: checking each one, storing it once per source id, finding its reader.

``ingest(session, events, origin=…)`` is the one path for the API and the CSV upload: one
transaction per batch (the caller's), one bulk ``INSERT … ON CONFLICT DO NOTHING`` for the
events (a repeated source id stores nothing and is answered as a duplicate), readers looked up
in one query, then the matched events paid by the active rules (``paying.pay``). Each event gets
its own answer: ``stored``, ``duplicate``, ``unmatched`` (kept for a librarian) or ``rejected``
with the reason, in the caller's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, select
from sqlmodel import Session

from core.activity import record_activities as core_record_activities
from core.api.awarding import readers_by_number
from core.ledger_sql import insert_rows, select_in
from core.models import PointTotal, utcnow
from core.points import current_calendar

from .i18n import _
from .models import InboundEvent

BATCH_MAX = 1000
SKEW = timedelta(minutes=5)  # a system's clock may run a little ahead
OLDEST = timedelta(days=400)
KIND = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
CHUNK = 500
PLUGIN = "inbound"


@dataclass
class Checked:
    """An event that passed the checks, with its library-time fields."""

    index: int
    source_id: str
    kind: str
    number: str
    occurred_at: datetime
    local: dict  # local_fields: the event's date, week, minute and weekday in library time


def parse_instant(value, tz) -> datetime | None:
    """An ISO 8601 instant; without an offset it is library time. None when it is not one."""
    if not isinstance(value, str) or not value.strip() or len(value) > 40:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    try:
        return moment.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None


def check(index: int, item, tz, now: datetime) -> Checked | str:
    """The event, checked; or why it is refused (in the caller's language)."""
    if not isinstance(item, dict):
        return _("An event must be an object with source_id, type, reader and occurred_at.")
    source_id, kind = item.get("source_id"), item.get("type")
    number, when = item.get("reader"), item.get("occurred_at")
    if not isinstance(source_id, str) or not source_id.strip() or len(source_id.strip()) > 120:
        return _("source_id is missing or longer than 120 characters.")
    if not isinstance(kind, str) or not KIND.match(kind.strip().lower()):
        return _("type must be a name of lower-case letters, digits, - or _ (at most 60), such as loan or gate-entry.")
    if not isinstance(number, str) or not number.strip() or len(number.strip()) > 64:
        return _("reader must be the reader's number (at most 64 characters).")
    moment = parse_instant(when, tz)
    if moment is None:
        return _("occurred_at must be a date and time in ISO 8601, such as 2026-03-01T22:15:00+08:00.")
    if moment > now + SKEW:
        return _("This event is in the future; check the sending system's clock.")
    if moment < now - OLDEST:
        return _("This event is more than %(days)d days old and is not accepted.", days=OLDEST.days)
    texts = (source_id, kind, number)
    if any(ch in t for t in texts for ch in "\x00\r\n\t"):
        return _("The event holds control characters.")
    return Checked(index, source_id.strip(), kind.strip().lower(), number.strip(), moment, local_fields(moment, tz))


def local_fields(moment: datetime, tz) -> dict:
    local = moment.astimezone(tz)
    iso = local.date().isocalendar()
    return {"local_date": local.date(), "local_week": f"{iso.year}-W{iso.week:02d}",
            "local_minute": local.hour * 60 + local.minute, "local_weekday": local.weekday()}


def ingest(session: Session, items: list, *, origin: str) -> dict:
    """Store and pay a batch of events in the caller's transaction; the answer per event and in sum."""
    from .paying import pay  # paying imports this module's names

    calendar = current_calendar()
    now = utcnow()
    results: list[dict] = [{} for _ in items]
    good: list[Checked] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        outcome = check(index, item, calendar.tz, now)
        source = item.get("source_id") if isinstance(item, dict) and isinstance(item.get("source_id"), str) else None
        if isinstance(outcome, str):
            results[index] = {"source_id": source, "status": "rejected", "reason": outcome, "points": 0}
        elif outcome.source_id in seen:  # the same id twice in one batch: the second is a duplicate
            results[index] = {"source_id": outcome.source_id, "status": "duplicate", "points": 0}
        else:
            seen.add(outcome.source_id)
            good.append(outcome)
    readers = readers_by_number(session, {c.number for c in good}) if good else {}
    stored = _store(session, good, readers, origin, now)
    events = []
    for checked in good:
        row = stored.get(checked.source_id)
        if row is None:
            results[checked.index] = {"source_id": checked.source_id, "status": "duplicate", "points": 0}
            continue
        user_id = readers.get(checked.number)
        results[checked.index] = {"source_id": checked.source_id, "status": "stored" if user_id else "unmatched",
                                  "points": 0, "event_id": row["id"]}
        if user_id:
            events.append(row)
    paid = {}
    if events:
        record_activities(session, events)
        paid = pay(session, events, calendar=calendar)
    totals = _totals(session, {e["user_id"] for e in events})
    by_id = {e["id"]: e for e in events}
    for result in results:
        event = by_id.get(result.get("event_id"))
        if event is not None:
            result["points"] = paid.get(event["id"], 0)
            result["total"] = totals.get(event["user_id"], 0)
    summary = {status: sum(1 for r in results if r["status"] == status)
               for status in ("stored", "duplicate", "unmatched", "rejected")}
    return {"results": results, "points": sum(paid.values()), **summary}


STORED_COLUMNS = ("source_id", "kind", "reader_number", "user_id", "occurred_at", "received_at", "origin",
                  "local_date", "local_week", "local_minute", "local_weekday")


def _store(session: Session, good: list[Checked], readers: dict, origin: str, now) -> dict[str, dict]:
    """Insert the events, skipping source ids already stored; the rows inserted, by source id."""
    rows = [(c.source_id, c.kind, c.number, readers.get(c.number), c.occurred_at, now, origin, c.local["local_date"],
             c.local["local_week"], c.local["local_minute"], c.local["local_weekday"]) for c in good]
    table = InboundEvent.__table__
    ids = dict(insert_rows(session, "inbound.events", table, STORED_COLUMNS, rows, finish=lambda insert: (
        insert.on_conflict_do_nothing(index_elements=["source_id"]).returning(table.c.source_id, table.c.id))))
    return {row[0]: {**dict(zip(STORED_COLUMNS, row)), "id": ids[row[0]]} for row in rows if row[0] in ids}


def record_activities(session: Session, events: list[dict]) -> None:
    """Each matched event is an activity of its type (plugin ``inbound``): badges librarians make
    ("N activities of a kind") and the insights dashboard count it. Recorded together, so the
    listeners read what they need for the whole batch at once."""
    core_record_activities(session, [(e["user_id"], PLUGIN, e["kind"], f"event:{e['id']}") for e in events])


def _totals(session: Session, user_ids: set[int]) -> dict[int, int]:
    ordered, totals = sorted(user_ids), {}
    for i in range(0, len(ordered), CHUNK):
        totals.update(select_in(session, "inbound.totals", lambda: select(PointTotal.user_id, PointTotal.total).where(
            PointTotal.user_id.in_(bindparam("ids", expanding=True))), ids=ordered[i:i + CHUNK]))
    return totals
