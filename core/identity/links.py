"""How a person signs in beyond a local password, read without depending on the sign-in providers.

Sign-in providers (CAS, OpenID Connect, LDAP) keep the external identities they link to accounts
in ``core_identity_link`` when they are installed. The administration's user page shows those
rows when the table exists, reflecting it rather than importing its model, so this page works
with or without the providers. Columns that could hold secrets are never shown.
"""

from __future__ import annotations

from sqlalchemy import MetaData, Table, inspect, select
from sqlmodel import Session

TABLE = "core_identity_link"
HIDDEN = ("secret", "token", "hash", "password")


def external_identities(session: Session, *, user_id: int) -> list[dict] | None:
    """The user's linked external identities as ``{column: value}`` (without ids or secrets), or
    None when no sign-in provider keeps such links here."""
    bind = session.connection()  # the request's own connection: a new one would wait for its write lock
    if not inspect(bind).has_table(TABLE):
        return None
    table = Table(TABLE, MetaData(), autoload_with=bind)
    if "user_id" not in table.c:
        return None
    shown = [c for c in table.c if c.name not in ("id", "user_id") and not any(word in c.name for word in HIDDEN)]
    rows = session.execute(select(*shown).where(table.c.user_id == user_id).limit(50)).mappings()
    return [dict(row) for row in rows]
