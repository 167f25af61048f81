"""Accounts as services: create, authenticate, update and change roles, without a web request."""

from __future__ import annotations

import logging

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlmodel import Session

from core.i18n import N_
from core.models import AuditEntry, Role, User, utcnow
from core.security.passwords import password_problem

log = logging.getLogger(__name__)
_hasher = PasswordHasher()
# Verified against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("not a real password")


class AccountError(ValueError):
    """A refused account change; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    """An email as stored and looked up: trimmed and lower-case."""
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def check_password(password: str, *, email: str = "", display_name: str = "") -> None:
    """Refuse a guessable password (common, or built from the account's own details)."""
    problem = password_problem(password, email=email, display_name=display_name)
    if problem:
        raise AccountError(problem, "password")


def end_sessions(session: Session, *, user_id: int) -> None:
    """End every signed-in session of this user, on every device and worker, at its next request
    (see ``core.security.sessions``)."""
    # The ORM's default synchronisation also bumps a copy of the user already in this session.
    session.execute(update(User).where(User.id == user_id).values(session_generation=User.session_generation + 1))


def create_user(session: Session, *, email: str, password: str, display_name: str,
                role: Role = Role.student, member_number: str | None = None, cohort: str | None = None,
                locale: str | None = None, hide_from_boards: bool = False,
                password_hash: str | None = None) -> User:
    """Add a user after checking that the email and member number are free and, unless an
    existing ``password_hash`` is given, that the password is not guessable."""
    email = normalise_email(email)
    member_number = (member_number or "").strip() or None
    if session.execute(select(User.id).where(func.lower(User.email) == email)).first():
        raise AccountError(_("An account with this email already exists."), "email")
    if member_number and session.execute(select(User.id).where(User.member_number == member_number)).first():
        raise AccountError(_("An account with this student or staff number already exists."), "member_number")
    if password_hash is None:
        check_password(password, email=email, display_name=display_name)
    user = User(email=email, password_hash=password_hash or hash_password(password),
                display_name=display_name.strip(), role=Role(role).value, member_number=member_number,
                cohort=(cohort or "").strip() or None, locale=locale, hide_from_boards=hide_from_boards)
    session.add(user)
    session.flush()
    return user


def register(session: Session, *, email: str, password: str, display_name: str,
             member_number: str | None = None, cohort: str | None = None, locale: str | None = None,
             hide_from_boards: bool = False) -> User | None:
    """A reader's own sign-up: a new student account, or None when the email already has one.

    The caller answers both cases alike, so registration never tells a stranger whether an
    address has an account; the address's owner is told instead (``address_taken``). Both paths
    check the password first and hash it once, so they take about the same time.
    """
    email = normalise_email(email)
    check_password(password, email=email, display_name=display_name)
    number = (member_number or "").strip()
    # Checked before the email, so that a taken number is refused alike with any email: otherwise
    # its answer would tell whether the email has an account.
    if number and session.execute(select(User.id).where(User.member_number == number)).first():
        raise AccountError(_("An account with this student or staff number already exists."), "member_number")
    password_hash = hash_password(password)
    existing = session.execute(select(User).where(func.lower(User.email) == email)).scalar_one_or_none()
    if existing is not None:
        address_taken(session, user=existing)
        return None
    return create_user(session, email=email, password=password, display_name=display_name,
                       member_number=member_number, cohort=cohort, locale=locale,
                       hide_from_boards=hide_from_boards, password_hash=password_hash)


def address_taken(session: Session, *, user: User) -> None:
    """Someone tried to register with ``user``'s email: the one place that tells the owner.

    Audited, logged, and the owner gets an email ("someone tried to create an account with your
    address; if it was you, sign in or reset your password"), queued in this transaction and at
    most one an hour, so the form cannot flood an inbox.
    """
    from core.mail import send_address_taken_notice  # mail sits above accounts

    send_address_taken_notice(user, session=session)
    session.add(AuditEntry(actor_id=None, action="account.register_taken", target=f"user:{user.id}",
                           detail="registration tried with this account's email"))
    log.info("registration tried with the email of account %s", user.id)


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The active user with this email and password, or None; upgrades outdated hashes."""
    user = session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    user.last_seen_at = utcnow()  # the retention setting counts years from here
    session.add(user)
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
    session.flush()
    end_sessions(session, user_id=user.id)


def change_password(session: Session, *, user: User, current: str | None, new: str,
                    actor_id: int | None = None) -> None:
    """Set a new password and end every session of the user (the caller may keep its own with
    ``core.security.sessions.restamp``). ``current`` must be the present password unless an
    administrator sets it (``current=None``, audited)."""
    if current is not None:
        try:
            _hasher.verify(user.password_hash, current)
        except (VerificationError, InvalidHashError):
            raise AccountError(_("Your current password is not right."), "current") from None
    check_password(new, email=user.email, display_name=user.display_name)
    user.password_hash = hash_password(new)
    session.add(user)
    if current is None:
        session.add(AuditEntry(actor_id=actor_id, action="password.set", target=f"user:{user.id}",
                               reason=N_("set by an administrator")))
    session.flush()
    end_sessions(session, user_id=user.id)


def set_active(session: Session, *, user: User, active: bool, actor_id: int | None, reason: str) -> None:
    """Deactivate (or reactivate) an account, audited with a reason; deactivating ends its sessions."""
    reason = (reason or "").strip()
    if not reason:
        raise AccountError(_("A reason is required."), "reason")
    if user.is_active == active:
        return
    session.add(AuditEntry(actor_id=actor_id, action="user.activate" if active else "user.deactivate",
                           target=f"user:{user.id}", reason=reason))
    user.is_active = active
    session.add(user)
    session.flush()
    if not active:
        end_sessions(session, user_id=user.id)
