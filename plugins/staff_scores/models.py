"""Tables of the staff-scores plugin; every name starts with ``staff_scores_``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models import UTCDateTime, utcnow


def _ts(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class Rubric(SQLModel, table=True):
    """One version of the shared rubric; frozen once a round uses it."""

    __tablename__ = "staff_scores_rubric"

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(unique=True)
    created_by: int | None = Field(default=None, foreign_key="core_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Criterion(SQLModel, table=True):
    """A criterion of a rubric version, with one anchor per mark 1–5 in each language (one per line)."""

    __tablename__ = "staff_scores_criterion"

    id: int | None = Field(default=None, primary_key=True)
    rubric_id: int = Field(foreign_key="staff_scores_rubric.id", index=True)
    position: int = 0
    name_en: str = Field(max_length=80)
    name_zh: str = Field(max_length=80)
    description_en: str = Field(default="", max_length=500)
    description_zh: str = Field(default="", max_length=500)
    anchors_en: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    anchors_zh: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Round(SQLModel, table=True):
    """An evaluation round on one rubric version, with its scoring settings."""

    __tablename__ = "staff_scores_round"

    id: int | None = Field(default=None, primary_key=True)
    title_en: str = Field(max_length=120)
    title_zh: str = Field(max_length=120)
    rubric_id: int = Field(foreign_key="staff_scores_rubric.id", index=True)
    opens_at: datetime = Field(sa_column=_ts())
    closes_at: datetime = Field(sa_column=_ts())
    prior_weight: float = 10.0
    blend_weight: float = 0.2
    created_by: int | None = Field(default=None, foreign_key="core_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    opened_notice: bool = False
    closed_notice: bool = False
    published_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Review(SQLModel, table=True):
    """One librarian's rating of one colleague (or of themselves, as reflection) in a round."""

    __tablename__ = "staff_scores_review"
    __table_args__ = (UniqueConstraint("round_id", "rater_id", "ratee_id", name="uq_staff_scores_review"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="staff_scores_round.id", index=True)
    rater_id: int = Field(foreign_key="core_user.id")
    ratee_id: int = Field(foreign_key="core_user.id")
    comment: str = Field(default="", max_length=1000)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ReviewMark(SQLModel, table=True):
    """A review's mark (1–5) on one criterion."""

    __tablename__ = "staff_scores_mark"
    __table_args__ = (UniqueConstraint("review_id", "criterion_id", name="uq_staff_scores_mark"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="staff_scores_review.id", index=True)
    criterion_id: int = Field(foreign_key="staff_scores_criterion.id")
    value: int


class AnswerScore(SQLModel, table=True):
    """A reader's rating of a librarian's answer (``engage_answer_rated``), once per source_ref."""

    __tablename__ = "staff_scores_answer"

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="core_user.id", index=True)
    score: int
    plugin: str = Field(max_length=40)
    source_ref: str = Field(max_length=120, unique=True)
    rated_at: datetime = Field(sa_column=_ts())


class Kudos(SQLModel, table=True):
    """A short public thank-you from one librarian to another."""

    __tablename__ = "staff_scores_kudos"

    id: int | None = Field(default=None, primary_key=True)
    giver_id: int = Field(foreign_key="core_user.id", index=True)
    receiver_id: int = Field(foreign_key="core_user.id", index=True)
    message: str = Field(max_length=280)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Preference(SQLModel, table=True):
    """A librarian's choice to stay off public boards and screens (shown by default)."""

    __tablename__ = "staff_scores_preference"

    user_id: int = Field(foreign_key="core_user.id", primary_key=True)
    show_publicly: bool = True
