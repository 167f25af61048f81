"""Tables of the badgemaker plugin; every name starts with ``badgemaker_``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models import UTCDateTime, utcnow


def _ts(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class MadeBadge(SQLModel, table=True):
    """A badge a librarian made: its names and texts in both languages, and the limits its
    requirements are counted within (a term, hours of the day in library time). ``key`` is the
    badge's key in core (``badgemaker:<slug>``), where its awards and artwork live."""

    __tablename__ = "badgemaker_badge"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, unique=True)
    name_en: str = Field(max_length=80, unique=True)
    name_zh: str = Field(max_length=80, unique=True)
    how_en: str = Field(max_length=500)
    how_zh: str = Field(max_length=500)
    term_key: str | None = Field(default=None, max_length=24)
    hours_from: int | None = None  # minutes after local midnight
    hours_to: int | None = None
    retired_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    retired_by: int | None = Field(default=None, foreign_key="core_user.id")
    created_by: int | None = Field(default=None, foreign_key="core_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Requirement(SQLModel, table=True):
    """One thing a made badge asks for: ``goal`` of criterion ``criterion`` (with ``option``)."""

    __tablename__ = "badgemaker_requirement"
    __table_args__ = (UniqueConstraint("badge_id", "criterion", "option"),)

    id: int | None = Field(default=None, primary_key=True)
    badge_id: int = Field(foreign_key="badgemaker_badge.id", index=True)
    position: int = 0
    criterion: str = Field(max_length=80)
    option: str = Field(default="", max_length=120)
    goal: int


class Backfill(SQLModel, table=True):
    """Granting a new badge to the readers who already qualify, done by the job queue in batches.

    ``state``: ``waiting`` → ``running`` → ``done``; one more pass is made once every process
    has read the new rule (``settled``), for anyone who qualified in between."""

    __tablename__ = "badgemaker_backfill"

    id: int | None = Field(default=None, primary_key=True)
    badge_id: int = Field(foreign_key="badgemaker_badge.id", unique=True)
    state: str = Field(default="waiting", max_length=12, index=True)
    readers_total: int = 0
    readers_done: int = 0
    granted: int = 0
    settled: bool = False
    started_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
