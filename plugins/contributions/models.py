"""Tables of the contributions plugin: challenges, submissions, their images, likes and decisions.

Every name starts with ``contributions_``. "Once" rules live in the database: one like per
reader per submission (a unique constraint); points are paid once through the ledger's
idempotency keys, so no table here needs to remember a payment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models import UTCDateTime, utcnow

KINDS = ("review", "photo", "story", "local", "answer")
# pending → approved | rejected | changes (editable again → pending); the author may withdraw
# while it is pending or sent back for changes.
STATUSES = ("pending", "changes", "approved", "rejected", "withdrawn")
EDITABLE = ("pending", "changes")


def _ts(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class Challenge(SQLModel, table=True):
    """A librarian's call for contributions, open between two instants."""

    __tablename__ = "contributions_challenge"

    id: int | None = Field(default=None, primary_key=True)
    title_en: str = Field(max_length=120)
    title_zh: str = Field(max_length=120)
    description_en: str = Field(default="", max_length=4000)
    description_zh: str = Field(default="", max_length=4000)
    kind: str = Field(default="review", max_length=16)
    opens_at: datetime = Field(sa_column=_ts())
    closes_at: datetime = Field(sa_column=_ts())
    points: int = Field(default=10)
    feature_points: int = Field(default=20)
    max_per_user: int = Field(default=1)
    require_text: bool = Field(default=True)
    require_link: bool = Field(default=False)
    require_image: bool = Field(default=False)
    allow_image: bool = Field(default=True)
    created_by: int | None = Field(default=None, foreign_key="core_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ContributionImage(SQLModel, table=True):
    """An uploaded picture after ``core.images.clean_image``: re-encoded bytes, no metadata."""

    __tablename__ = "contributions_image"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="core_user.id", index=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    content_type: str = Field(max_length=40)
    width: int
    height: int
    sha256: str = Field(max_length=64)
    fingerprint: str = Field(max_length=16, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Submission(SQLModel, table=True):
    """One reader's contribution to a challenge."""

    __tablename__ = "contributions_submission"

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="contributions_challenge.id", index=True)
    user_id: int = Field(foreign_key="core_user.id", index=True)
    text: str = Field(default="", max_length=10000)
    link: str | None = Field(default=None, max_length=500)
    image_id: int | None = Field(default=None, foreign_key="contributions_image.id")
    # casefolded, whitespace collapsed, punctuation stripped, then SHA-256: spots re-submitted text.
    text_hash: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(default="pending", max_length=16, index=True)
    # The moderator's reason for a rejection or a request for changes; the author sees it.
    reason: str | None = Field(default=None, max_length=500)
    # Space-separated flags for the moderator ("text-own", "text-other", "image-own", "image-other").
    flags: str = Field(default="", max_length=80)
    duplicate_of: int | None = Field(default=None)
    featured_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    like_count: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    reviewed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Decision(SQLModel, table=True):
    """A moderator's decision on a submission: who, when, what and why (kept for good)."""

    __tablename__ = "contributions_decision"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="contributions_submission.id", index=True)
    actor_id: int = Field(foreign_key="core_user.id")
    decision: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Like(SQLModel, table=True):
    """One reader's like of a submission; ``author_id`` is copied so the per-author cap is one count."""

    __tablename__ = "contributions_like"
    __table_args__ = (UniqueConstraint("submission_id", "user_id", name="uq_contributions_like_once"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="contributions_submission.id", index=True)
    user_id: int = Field(foreign_key="core_user.id", index=True)
    author_id: int = Field(foreign_key="core_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
