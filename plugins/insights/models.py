"""The insights plugin's tables: rollups kept as events happen, so the dashboard reads a few
rows per panel and never the activity history.

* ``insights_touch``: who was active in a period (a day, ISO week, month or term), overall
  (plugin ``""``) and per plugin; a first touch is one insert, a repeat one ignored insert.
* ``insights_active``: how many readers each period had, per plugin and per faculty, with the
  new ones and (terms) those also active the term before.
* ``insights_reader``: each reader's first and last active day (cohorts, funnel, segments).
* ``insights_cohort``: readers of a first-activity week active in a later week (the triangle).
* ``insights_kind`` / ``insights_kind_reader``: participation per activity per term.
* ``insights_campaign*``: views, scans and unique visitors of source-tagged links, and what they led to.
* ``insights_message``: messages sent to a segment.
* ``insights_pending``: events not yet counted. The award path appends one row here and takes
  no shared lock; a job folds them into the rollups (``rollups.fold_pending``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Integer, Text
from sqlmodel import Field, SQLModel

from core.models import _ts, utcnow


class InsightsPending(SQLModel, table=True):
    """An event (an award, or an activity of a plugin) waiting to be counted into the rollups.

    Appended in the event's own transaction: one insert, no shared row, so awards never wait on
    (or deadlock over) the library-wide counters; ``fold_pending`` counts and deletes them."""

    __tablename__ = "insights_pending"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int
    plugin: str = Field(default="", max_length=40)
    kind: str = Field(default="", max_length=60)
    at: datetime = Field(sa_column=_ts(nullable=False))
    campaign_id: int | None = None  # the campaign that brought the reader today (a conversion)
    medium: str = Field(default="", max_length=16)


class InsightsTouch(SQLModel, table=True):
    """A reader was active in a period (``day`` keys are ISO dates); the set behind the counts."""

    __tablename__ = "insights_touch"
    __table_args__ = {"sqlite_with_rowid": False}

    period: str = Field(max_length=8, primary_key=True)
    period_key: str = Field(max_length=24, primary_key=True)
    plugin: str = Field(max_length=40, primary_key=True)
    user_id: int = Field(primary_key=True)


class InsightsActive(SQLModel, table=True):
    """Readers active in one period (plugin ``""`` = any, faculty ``""`` = all)."""

    __tablename__ = "insights_active"
    __table_args__ = {"sqlite_with_rowid": False}

    period: str = Field(max_length=8, primary_key=True)
    period_key: str = Field(max_length=24, primary_key=True)
    plugin: str = Field(max_length=40, primary_key=True)
    faculty: str = Field(max_length=80, primary_key=True)
    readers: int = 0
    new_readers: int = 0
    retained: int = 0  # terms: readers also active the term before


class InsightsReader(SQLModel, table=True):
    """A reader's first and last active day, and the first active day in a later week."""

    __tablename__ = "insights_reader"

    user_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    first_day: date = Field(index=True)
    first_week: str = Field(max_length=24)
    returned_day: date | None = None
    last_day: date = Field(index=True)


class InsightsCohort(SQLModel, table=True):
    """Readers whose first active week is ``cohort`` and who were active in ``week``."""

    __tablename__ = "insights_cohort"

    cohort: str = Field(max_length=24, primary_key=True)
    week: str = Field(max_length=24, primary_key=True)
    readers: int = 0


class InsightsKind(SQLModel, table=True):
    """Participation in one activity (plugin, kind) during a term: distinct readers and events."""

    __tablename__ = "insights_kind"

    term: str = Field(max_length=24, primary_key=True)
    plugin: str = Field(max_length=40, primary_key=True)
    kind: str = Field(max_length=60, primary_key=True)
    readers: int = 0
    events: int = 0


class InsightsKindReader(SQLModel, table=True):
    """A reader took part in an activity during a term (the set behind ``InsightsKind.readers``)."""

    __tablename__ = "insights_kind_reader"
    __table_args__ = {"sqlite_with_rowid": False}

    term: str = Field(max_length=24, primary_key=True)
    plugin: str = Field(max_length=40, primary_key=True)
    kind: str = Field(max_length=60, primary_key=True)
    user_id: int = Field(primary_key=True)


class InsightsCounter(SQLModel, table=True):
    """A named running count (the funnel: readers who became active, who came back another week)."""

    __tablename__ = "insights_counter"

    name: str = Field(max_length=40, primary_key=True)
    value: int = 0


class InsightsCampaign(SQLModel, table=True):
    """Something shared with a source tag (a poll, a challenge, an episode, a message)."""

    __tablename__ = "insights_campaign"

    id: int | None = Field(default=None, primary_key=True)
    tag: str = Field(max_length=120, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class InsightsCampaignDay(SQLModel, table=True):
    """One campaign's day through one medium (share, qr, screen, message): views, unique
    visitors (by the day's salted hash) and conversions (activities of readers it brought)."""

    __tablename__ = "insights_campaign_day"
    # Clustered by day (SQLite: WITHOUT ROWID), so a date range reads one stretch of the table.
    __table_args__ = {"sqlite_with_rowid": False}

    day: date = Field(primary_key=True)
    campaign_id: int = Field(foreign_key="insights_campaign.id", primary_key=True)
    medium: str = Field(max_length=16, primary_key=True)
    views: int = 0
    visitors: int = 0
    conversions: int = 0


class InsightsVisitor(SQLModel, table=True):
    """A visitor's salted hash for one campaign on one day; thrown away with the day's salt."""

    __tablename__ = "insights_visitor"
    __table_args__ = {"sqlite_with_rowid": False}

    day: date = Field(primary_key=True)
    campaign_id: int = Field(primary_key=True)
    digest: str = Field(max_length=32, primary_key=True)


class InsightsSalt(SQLModel, table=True):
    """Today's random salt for visitor hashes; yesterday's is deleted, so hashes cannot be linked across days."""

    __tablename__ = "insights_salt"

    day: date = Field(primary_key=True)
    salt: str = Field(max_length=64)


class InsightsMessage(SQLModel, table=True):
    """A message a librarian sent to a segment, and how many it reached."""

    __tablename__ = "insights_message"

    id: int | None = Field(default=None, primary_key=True)
    sender_id: int | None = Field(default=None, foreign_key="core_user.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    link: str = Field(default="", max_length=300)  # a path on this site, or "" (the inbox)
    segment: str = Field(sa_column=Column(Text, nullable=False))  # the filters, JSON
    recipients: int = 0  # the segment's size when it was sent
    sent: int = 0
    last_user_id: int = 0  # the job sends in batches of readers, by id; it resumes after this one
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
