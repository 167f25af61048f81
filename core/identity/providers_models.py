"""The tables of sign-in providers: who is linked to which outside identity, and each provider's
settings and attribute mapping as an administrator left them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models import _ts, utcnow


class IdentityLink(SQLModel, table=True):
    """An account's identity at a sign-in provider: ``subject`` is the provider's stable id for
    the person (a CAS user name, an OpenID Connect ``sub``, an LDAP entry's name). One subject of
    one provider belongs to one account."""

    __tablename__ = "core_identity_link"
    __table_args__ = (UniqueConstraint("provider", "subject", name="uq_core_identity_link_provider_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="core_user.id", index=True)
    provider: str = Field(max_length=40)
    subject: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    last_sign_in_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class SignInSetting(SQLModel, table=True):
    """One sign-in provider as an administrator set it up: ``key`` is the provider's key
    (``"password"`` for local passwords). ``settings`` and ``mapping`` are JSON objects;
    ``secret`` is the provider's client secret or bind password, encrypted (``providers_secrets``).
    ``enabled`` is used for local passwords (plugins are switched on the plugin page)."""

    __tablename__ = "core_identity_provider"

    key: str = Field(primary_key=True, max_length=40)
    enabled: bool = Field(default=True)
    settings: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    mapping: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    secret: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
