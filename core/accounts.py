"""Accounts as services: create, authenticate, update and change roles, without a web request."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlmodel import Session

from core.models import AuditEntry, Role, User

_hasher = PasswordHasher()
# Verified against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("not a real password")


class AccountError(ValueError):
    """A refused account change; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def create_user(session: Session, *, email: str, password: str, display_name: str,
                role: Role = Role.student, member_number: str | None = None, cohort: str | None = None,
                locale: str | None = None, hide_from_boards: bool = False,
                password_hash: str | None = None) -> User:
    """Add a user after checking that the email and member number are free."""
    email = normalise_email(email)
    member_number = (member_number or "").strip() or None
    if session.execute(select(User.id).where(func.lower(User.email) == email)).first():
        raise AccountError(_("An account with this email already exists."), "email")
    if member_number and session.execute(select(User.id).where(User.member_number == member_number)).first():
        raise AccountError(_("An account with this student or staff number already exists."), "member_number")
    user = User(email=email, password_hash=password_hash or hash_password(password),
                display_name=display_name.strip(), role=Role(role).value, member_number=member_number,
                cohort=(cohort or "").strip() or None, locale=locale, hide_from_boards=hide_from_boards)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The active user with this email and password, or None; upgrades outdated hashes."""
    user = session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    return user


def set_role(session: Session, *, user: User, role: Role, actor_id: int | None, reason: str) -> None:
    """Change a user's role; audited, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise AccountError(_("A reason is required to change a role."), "reason")
    if user.role == Role(role).value:
        return
    session.add(AuditEntry(actor_id=actor_id, action="role.change", target=f"user:{user.id}",
                           detail=f"{user.role} → {Role(role).value}", reason=reason))
    user.role = Role(role).value
    session.add(user)
