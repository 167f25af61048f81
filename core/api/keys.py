"""API keys: made by an administrator with scopes, shown once, stored hashed, revocable.

A token reads ``le_<prefix>_<secret>``: the prefix (public, unique) finds the key's row, and the
SHA-256 of the whole token must match the stored hash. The secret has 256 bits of entropy, so a
plain hash is enough (a slow password hash would only slow every call). Scopes are core's
(``CORE_SCOPES``) plus each plugin's (``engage_api_scopes``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlmodel import Session

from core.api.models import ApiKey
from core.models import AuditEntry, utcnow

PREFIX = "le_"
CORE_SCOPES = {
    "readers:read": _l("Read readers, their points and badges"),
    "readers:write": _l("Create and update readers (roster sync)"),
    "points:award": _l("Award points (up to the key's cap per day)"),
    "badges:award": _l("Award manual badges"),
    "boards:read": _l("Read leaderboards, faculties, badges and activities"),
}
NAME_MAX = 80
RATE_LIMIT_DEFAULT = "600 per minute"


class ApiKeyError(ValueError):
    """A key that cannot be made as asked; ``str()`` is safe to show an administrator."""


@dataclass(frozen=True)
class NewKey:
    """A key just made, with its token (the only time the token exists outside the caller's hands)."""

    key: ApiKey
    token: str


def all_scopes() -> dict[str, str]:
    """Every scope a key may hold: core's and those the switched-on plugins declare."""
    from core.plugins import current_hooks

    scopes = dict(CORE_SCOPES)
    for declared in current_hooks().engage_api_scopes():
        scopes.update(declared or {})
    return scopes


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(session: Session, *, name: str, scopes: list[str], actor_id: int | None,
               daily_points_cap: int | None = None, rate_limit: str | None = None) -> NewKey:
    """Make a key; the returned token is shown once and never stored. Audited."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise ApiKeyError(_("A key needs a name of at most %(max)d characters.", max=NAME_MAX))
    known = all_scopes()
    unknown = sorted(set(scopes) - set(known))
    if unknown or not scopes:
        raise ApiKeyError(_("Choose at least one scope from the list."))
    if daily_points_cap is not None and not 1 <= daily_points_cap <= 10_000_000:
        raise ApiKeyError(_("The cap per day must be between 1 and 10,000,000 points."))
    rate_limit = (rate_limit or RATE_LIMIT_DEFAULT).strip()
    try:
        from limits import parse_many

        parsed = parse_many(rate_limit)
        if not parsed or not all(1 <= item.amount <= 1_000_000 for item in parsed):
            raise ValueError(rate_limit)
    except ValueError:
        raise ApiKeyError(_("The rate limit must read like \"600 per minute\".")) from None
    prefix = secrets.token_hex(6)
    token = f"{PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(name=name, prefix=prefix, token_hash=hash_token(token), scopes=" ".join(sorted(set(scopes))),
                 daily_points_cap=daily_points_cap, rate_limit=rate_limit, created_by=actor_id)
    session.add(key)
    session.flush()
    session.add(AuditEntry(actor_id=actor_id, action="apikey.create", target=f"apikey:{key.id}",
                           detail=f"{name}: {key.scopes}"))
    return NewKey(key, token)


def revoke_key(session: Session, *, key_id: int, actor_id: int | None) -> ApiKey:
    """Revoke a key at once (its row stays, for the audit trail's names). Audited."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise LookupError(key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.add(AuditEntry(actor_id=actor_id, action="apikey.revoke", target=f"apikey:{key.id}", detail=key.name))
    return key


def prefix_of(token: str) -> str | None:
    """The public prefix of a well-formed token (rate limits count by it before the key is checked)."""
    if not token.startswith(PREFIX):
        return None
    prefix, sep, _secret = token[len(PREFIX):].partition("_")
    return prefix if sep and 1 <= len(prefix) <= 16 else None


def find_key(session: Session, token: str) -> ApiKey | None:
    """The key a token belongs to (revoked or not), or None for a token that matches none."""
    prefix = prefix_of(token)
    if prefix is None:
        return None
    key = session.execute(select(ApiKey).where(ApiKey.prefix == prefix)).scalar()
    if key is None or not hmac.compare_digest(key.token_hash, hash_token(token)):
        return None
    return key


def touch(session: Session, key: ApiKey, *, writing: bool, every_seconds: int = 60) -> None:
    """Note when a key was last used (at most once a minute). A write notes it in its own
    transaction (which holds SQLite's write lock already); a read in a short one of its own."""
    now = utcnow()
    if key.last_used_at is not None and (now - key.last_used_at).total_seconds() < every_seconds:
        return
    stamp = update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now)
    if writing:
        session.execute(stamp)
        return
    with session.get_bind().connect() as conn:
        conn.execute(stamp)
        conn.commit()


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, newest first."""
    return list(session.execute(select(ApiKey).order_by(ApiKey.id.desc())).scalars())
