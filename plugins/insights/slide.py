"""The lobby slide: the library's own numbers, read from the rollups and the satisfaction hook."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from core.periods import Calendar

from .extra_panels import combined, satisfaction
from .models import InsightsActive, InsightsKind
from .rollups import ANY, period_keys


@dataclass(frozen=True)
class LobbyNumbers:
    readers_this_week: int
    activities_this_term: int
    changes_this_term: int


def lobby_numbers(session: Session, calendar: Calendar, today) -> LobbyNumbers:
    keys = period_keys(calendar, today)
    readers = session.execute(select(InsightsActive.readers).where(
        InsightsActive.period == "week", InsightsActive.period_key == keys["week"], InsightsActive.plugin == ANY,
        InsightsActive.faculty == ANY)).scalar() or 0
    term = calendar.term_of(today)
    if term is None:
        return LobbyNumbers(readers, 0, 0)
    done = session.execute(select(func.coalesce(func.sum(InsightsKind.events), 0)).where(
        InsightsKind.term == term.key)).scalar_one()
    changes = combined(satisfaction(session, calendar, start=term.starts_on, end=today)).changes
    return LobbyNumbers(readers, int(done), changes)
