"""The CAS plugin's table: which service ticket opened which account's session, so that the CAS
server's single-logout request (which names only the ticket) ends that person's sessions here."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from core.models import _ts, utcnow


class CasSession(SQLModel, table=True):
    """A sign-in through CAS: the SHA-256 of its service ticket and the account it signed in."""

    __tablename__ = "signin_cas_session"

    ticket_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="core_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
