"""Site-wide account settings an administrator changes at run time (``core_setting``)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from core.models import _ts, utcnow


class Setting(SQLModel, table=True):
    """One named setting, stored as text; a missing row means the built-in default."""

    __tablename__ = "core_setting"

    key: str = Field(primary_key=True, max_length=60)
    value: str = Field(max_length=200)
    changed_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
