"""Demo data: the rules a library might start with, and the last four weeks of events from its
systems, sent the way the library's systems send them (through ``ingest`` under an API key of
their own), so the rules, the unmatched readers, readers' histories and previews have something
to show. A few numbers belong to no reader yet (new students the roster has not brought in)."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.api.keys import create_key
from core.points import current_calendar

from .events import ingest
from .models import InboundRule

RULES = [
    {"name": "Loans 借阅", "kind": "loan", "points": 2, "day_count": 5, "active": True},
    {"name": "Midnight owl 夜读", "kind": "gate-entry", "points": 3, "day_count": 1, "active": True,
     "window_start": 22 * 60, "window_end": 6 * 60},
    {"name": "E-resources 电子资源", "kind": "e-resource-session", "points": 1, "week_points": 5, "active": True},
    # Being drafted: its preview shows what it would pay before a librarian switches it on.
    {"name": "Workshops 讲座", "kind": "workshop-attendance", "points": 5, "active": False},
]
DAYS = 28
UNKNOWN = ["20269001", "20269002", "20269003"]
BATCH = 1000


def populate(session, rng, students, librarians) -> None:
    librarian_id = librarians[0].id if librarians else None
    for fields in RULES:
        session.add(InboundRule(created_by=librarian_id, **fields))
    session.flush()
    key = create_key(session, name="Library systems (demo)", scopes=["inbound:write"], actor_id=librarian_id).key
    readers = [(s.member_number, rng.random() ** 2) for s in students if s.member_number]
    readers += [(number, 0.5) for number in UNKNOWN]
    items = _events(rng, readers, current_calendar().tz)
    for i in range(0, len(items), BATCH):
        ingest(session, items[i:i + BATCH], origin=f"apikey:{key.id}")


def _events(rng, readers, tz) -> list[dict]:
    """Each reader's visits over the last DAYS days, keen readers more often: a gate entry per
    visit (now and then late at night), loans, e-resource sessions, and a workshop or two."""
    now = datetime.now(tz)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    items: list[dict] = []

    def add(system: str, kind: str, number: str, moment: datetime) -> None:
        # A late visit's loans run past midnight: not into the future when the demo is made then.
        moment = min(moment, now - timedelta(minutes=1))
        items.append({"source_id": f"demo-{system}:{len(items) + 1:06d}", "type": kind, "reader": number,
                      "occurred_at": moment.isoformat(timespec="seconds")})

    for number, keenness in readers:
        for day in range(DAYS, 0, -1):
            if rng.random() > 0.1 + 0.6 * keenness:
                continue
            late = rng.random() < 0.15
            hour = rng.choice([22, 23]) if late else rng.randint(8, 19)
            arrival = today - timedelta(days=day) + timedelta(hours=hour, minutes=rng.randint(0, 59))
            add("gate", "gate-entry", number, arrival)
            for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
                add("ils", "loan", number, arrival + timedelta(minutes=rng.randint(5, 90)))
            if rng.random() < 0.4:
                add("ezproxy", "e-resource-session", number, arrival + timedelta(minutes=rng.randint(10, 120)))
        if rng.random() < keenness:
            add("workshops", "workshop-attendance", number,
                today - timedelta(days=rng.randint(1, DAYS)) + timedelta(hours=15))
    return items
