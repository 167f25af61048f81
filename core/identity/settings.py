"""The account settings administrators set (*Administration → Accounts*): whether readers must
verify their address before taking part, and after how many years of absence an account is
anonymised. Each is read from ``core_setting``, with the config value as the default."""

from __future__ import annotations

from flask import current_app
from sqlmodel import Session

from core.identity.models import Setting
from core.models import AuditEntry, utcnow

VERIFICATION = "email_verification_required"
RETENTION = "retention_years"


def _stored(session: Session, key: str) -> str | None:
    row = session.get(Setting, key)
    return row.value if row is not None else None


def verification_required(session: Session) -> bool:
    """Whether readers must verify their address before they take part."""
    value = _stored(session, VERIFICATION)
    if value is None:
        return bool(current_app.config["EMAIL_VERIFICATION_REQUIRED"])
    return value == "1"


def retention_years(session: Session) -> int:
    """Years without a sign-in after which a reader's account is anonymised (0: never)."""
    value = _stored(session, RETENTION)
    if value is None:
        return int(current_app.config["RETENTION_YEARS"] or 0)
    return int(value)


def save(session: Session, *, verification: bool, years: int, actor_id: int | None) -> None:
    """Store both settings, audited when they change."""
    changes = []
    for key, value, before in ((VERIFICATION, "1" if verification else "0", "1" if verification_required(session) else "0"),
                               (RETENTION, str(int(years)), str(retention_years(session)))):
        row = session.get(Setting, key) or Setting(key=key, value=value)
        row.value, row.changed_at = value, utcnow()
        session.add(row)
        if value != before:
            changes.append(f"{key}: {before} → {value}")
    if changes:
        session.add(AuditEntry(actor_id=actor_id, action="accounts.settings", target="settings:accounts",
                               detail="; ".join(changes)))
