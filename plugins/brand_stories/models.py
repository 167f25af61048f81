"""Tables of the brand-stories plugin: characters, series, episodes, polls, design contests, ballots.

Bilingual texts a librarian writes are stored as two columns (``*_en``, ``*_zh``). A voter's
current ballot lives in a table with a UNIQUE (poll, user) constraint, so two tabs voting at
once cannot create two ballots; every replaced ballot is copied to a history table first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models import UTCDateTime, utcnow


def _ts(nullable: bool = False, **kwargs) -> Column:
    return Column(UTCDateTime(), nullable=nullable, **kwargs)


class StoryImage(SQLModel, table=True):
    """An uploaded or generated picture, already cleaned by ``core.images.clean_image``."""

    __tablename__ = "brand_stories_image"

    id: int | None = Field(default=None, primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    content_type: str = Field(max_length=40)
    width: int
    height: int
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Character(SQLModel, table=True):
    """One of the brand's hand-painted characters."""

    __tablename__ = "brand_stories_character"

    id: int | None = Field(default=None, primary_key=True)
    name_en: str = Field(max_length=80)
    name_zh: str = Field(max_length=80)
    bio_en: str = Field(default="", max_length=4000)
    bio_zh: str = Field(default="", max_length=4000)
    image_id: int | None = Field(default=None, foreign_key="brand_stories_image.id")
    position: int = Field(default=0)


class Series(SQLModel, table=True):
    """A story series: a run of episodes."""

    __tablename__ = "brand_stories_series"

    id: int | None = Field(default=None, primary_key=True)
    title_en: str = Field(max_length=120)
    title_zh: str = Field(max_length=120)
    summary_en: str = Field(default="", max_length=2000)
    summary_zh: str = Field(default="", max_length=2000)


class Episode(SQLModel, table=True):
    """One episode of a series; readers see it from ``publish_at`` on."""

    __tablename__ = "brand_stories_episode"

    id: int | None = Field(default=None, primary_key=True)
    series_id: int = Field(foreign_key="brand_stories_series.id", index=True)
    number: int = Field(default=1)
    title_en: str = Field(max_length=120)
    title_zh: str = Field(max_length=120)
    body_en: str = Field(default="", max_length=20000)
    body_zh: str = Field(default="", max_length=20000)
    image_id: int | None = Field(default=None, foreign_key="brand_stories_image.id")
    publish_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))


class Poll(SQLModel, table=True):
    """A "what happens next" approval vote on an episode."""

    __tablename__ = "brand_stories_poll"

    id: int | None = Field(default=None, primary_key=True)
    episode_id: int = Field(foreign_key="brand_stories_episode.id", index=True)
    question_en: str = Field(max_length=200)
    question_zh: str = Field(max_length=200)
    opens_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    closes_at: datetime = Field(sa_column=_ts(index=True))
    live_counts: bool = Field(default=False)
    # Set once, in the transaction that tells every voter the poll has closed.
    notified: bool = Field(default=False)


class PollOption(SQLModel, table=True):
    """One choice of a poll, with an optional picture."""

    __tablename__ = "brand_stories_option"

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="brand_stories_poll.id", index=True)
    text_en: str = Field(max_length=200)
    text_zh: str = Field(max_length=200)
    image_id: int | None = Field(default=None, foreign_key="brand_stories_image.id")
    position: int = Field(default=0)


class Ballot(SQLModel, table=True):
    """A voter's current approval ballot: the ids of every option they accept (JSON list)."""

    __tablename__ = "brand_stories_ballot"
    __table_args__ = (UniqueConstraint("poll_id", "user_id", name="uq_brand_stories_ballot_voter"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="brand_stories_poll.id", index=True)
    user_id: int = Field(foreign_key="core_user.id")
    choices: str = Field(max_length=2000)
    cast_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class BallotHistory(SQLModel, table=True):
    """An earlier version of an approval ballot, kept when the voter changed it."""

    __tablename__ = "brand_stories_ballot_history"

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="brand_stories_poll.id", index=True)
    user_id: int = Field(foreign_key="core_user.id")
    choices: str = Field(max_length=2000)
    cast_at: datetime = Field(sa_column=_ts())
    replaced_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Contest(SQLModel, table=True):
    """A design contest: submissions, then moderation, then a ranked (Schulze) vote."""

    __tablename__ = "brand_stories_contest"

    id: int | None = Field(default=None, primary_key=True)
    title_en: str = Field(max_length=120)
    title_zh: str = Field(max_length=120)
    brief_en: str = Field(default="", max_length=4000)
    brief_zh: str = Field(default="", max_length=4000)
    subject: str = Field(default="character", max_length=20)
    submissions_close_at: datetime = Field(sa_column=_ts())
    voting_opens_at: datetime = Field(sa_column=_ts())
    voting_closes_at: datetime = Field(sa_column=_ts(index=True))
    # The stored Schulze result (JSON: ranking of design ids and the pairwise matrix).
    result: str | None = Field(default=None, max_length=100000)
    tallied_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Design(SQLModel, table=True):
    """A reader's design entered in a contest; librarians accept or reject it."""

    __tablename__ = "brand_stories_design"

    id: int | None = Field(default=None, primary_key=True)
    contest_id: int = Field(foreign_key="brand_stories_contest.id", index=True)
    user_id: int = Field(foreign_key="core_user.id", index=True)
    title: str = Field(max_length=120)
    description: str = Field(default="", max_length=4000)
    image_id: int = Field(foreign_key="brand_stories_image.id")
    status: str = Field(default="pending", max_length=12)
    submitted_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class RankBallot(SQLModel, table=True):
    """A voter's current ranked ballot in a contest (JSON list of design ids, best first).

    ``code`` is a random id printed in the anonymised export instead of the voter.
    """

    __tablename__ = "brand_stories_rank_ballot"
    __table_args__ = (UniqueConstraint("contest_id", "user_id", name="uq_brand_stories_rank_ballot_voter"),)

    id: int | None = Field(default=None, primary_key=True)
    contest_id: int = Field(foreign_key="brand_stories_contest.id", index=True)
    user_id: int = Field(foreign_key="core_user.id")
    choices: str = Field(max_length=2000)
    code: str = Field(max_length=32, unique=True)
    cast_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class RankBallotHistory(SQLModel, table=True):
    """An earlier version of a ranked ballot."""

    __tablename__ = "brand_stories_rank_ballot_history"

    id: int | None = Field(default=None, primary_key=True)
    contest_id: int = Field(foreign_key="brand_stories_contest.id", index=True)
    user_id: int = Field(foreign_key="core_user.id")
    choices: str = Field(max_length=2000)
    cast_at: datetime = Field(sa_column=_ts())
    replaced_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
