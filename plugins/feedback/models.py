"""Feedback tables: categories, departments, items, their append-only event log, "me too"s,
photos and inspiration links. Every table name starts with ``feedback_``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models import UTCDateTime, utcnow


def _ts(nullable: bool = True, index: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class FeedbackCategory(SQLModel, table=True):
    """What a piece of feedback is about, with its service-level targets (hours)."""

    __tablename__ = "feedback_category"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True)
    name_en: str = Field(max_length=80)
    name_zh: str = Field(max_length=80)
    first_response_hours: int = Field(default=24)
    resolution_hours: int = Field(default=120)
    active: bool = Field(default=True)
    position: int = Field(default=100)


class FeedbackDepartment(SQLModel, table=True):
    """A team an item can be assigned to instead of one librarian."""

    __tablename__ = "feedback_department"

    id: int | None = Field(default=None, primary_key=True)
    name_en: str = Field(max_length=80)
    name_zh: str = Field(max_length=80)
    active: bool = Field(default=True)


class FeedbackItem(SQLModel, table=True):
    """One reader's feedback; ``state`` changes only through ``workflow.transition``."""

    __tablename__ = "feedback_item"

    id: int | None = Field(default=None, primary_key=True)
    submitter_id: int = Field(foreign_key="core_user.id", index=True)
    category_id: int = Field(foreign_key="feedback_category.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    location: str = Field(default="", max_length=120)
    show_name: bool = Field(default=False)        # staff may see who wrote it
    allow_publish: bool = Field(default=False)    # may appear (without name) on the public board
    state: str = Field(default="submitted", max_length=16, index=True)
    assignee_id: int | None = Field(default=None, foreign_key="core_user.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="feedback_department.id")
    responder_id: int | None = Field(default=None, foreign_key="core_user.id", index=True)
    rating: int | None = Field(default=None)
    reopen_count: int = Field(default=0)
    merged_into_id: int | None = Field(default=None, foreign_key="feedback_item.id")
    published: bool = Field(default=False)
    we_did_en: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    we_did_zh: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False, True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    first_response_at: datetime | None = Field(default=None, sa_column=_ts())
    responded_at: datetime | None = Field(default=None, sa_column=_ts())
    closed_at: datetime | None = Field(default=None, sa_column=_ts())
    rated_at: datetime | None = Field(default=None, sa_column=_ts())


class FeedbackEvent(SQLModel, table=True):
    """One step of an item's life (append-only): who moved it from where to where, and why."""

    __tablename__ = "feedback_event"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="feedback_item.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="core_user.id")  # None: the system
    from_state: str = Field(max_length=16)
    to_state: str = Field(max_length=16)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    public: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))


class FeedbackMeToo(SQLModel, table=True):
    """Another reader has the same problem; once per reader and item."""

    __tablename__ = "feedback_me_too"
    __table_args__ = (UniqueConstraint("item_id", "user_id", name="uq_feedback_me_too"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="feedback_item.id", index=True)
    user_id: int = Field(foreign_key="core_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))


class FeedbackPhoto(SQLModel, table=True):
    """The cleaned photo of an item (kept apart so lists never load image bytes)."""

    __tablename__ = "feedback_photo"

    item_id: int = Field(foreign_key="feedback_item.id", primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    content_type: str = Field(max_length=40)
    width: int
    height: int


class FeedbackInspiration(SQLModel, table=True):
    """An item marked as the inspiration of a change or of content; once per item.

    The target's key, title and URL are copied so the link survives the other plugin being off.
    """

    __tablename__ = "feedback_inspiration"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="feedback_item.id", unique=True)
    target_key: str = Field(default="", max_length=120)
    title: str = Field(default="", max_length=200)
    url: str = Field(default="", max_length=500)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    actor_id: int = Field(foreign_key="core_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
