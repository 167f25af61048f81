"""How a person signs in beyond a local password: the campus identities linked to an account."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from core.identity.providers_models import IdentityLink


def external_identities(session: Session, *, user_id: int) -> list[IdentityLink]:
    """The account's links to sign-in providers (CAS, OpenID Connect, LDAP), oldest first."""
    return list(session.execute(select(IdentityLink).where(IdentityLink.user_id == user_id)
                                .order_by(IdentityLink.id).limit(50)).scalars())
