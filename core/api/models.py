"""The API's tables: keys (stored hashed) and each key's points paid per day (for its cap)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from core.models import _ts, utcnow


class ApiKey(SQLModel, table=True):
    """A key another system of the library calls the API with.

    The token is shown once; only its SHA-256 is kept. ``prefix`` (the token's public first part)
    finds the row without a scan; ``scopes`` is a space-separated list. ``daily_points_cap`` bounds the
    points the key may award per day, in library time (None: no cap); ``rate_limit`` is its own limit
    in the ``limits`` notation."""

    __tablename__ = "core_api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    prefix: str = Field(max_length=16, unique=True)
    token_hash: str = Field(max_length=64)
    scopes: str = Field(default="", max_length=1000)
    daily_points_cap: int | None = Field(default=None)
    rate_limit: str = Field(default="600 per minute", max_length=60)
    created_by: int | None = Field(default=None, foreign_key="core_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ApiKeyDay(SQLModel, table=True):
    """The positive points one key has paid on one day (library time), kept with the awards."""

    __tablename__ = "core_api_key_day"

    key_id: int = Field(foreign_key="core_api_key.id", primary_key=True)
    day: date = Field(primary_key=True)
    points: int = 0
